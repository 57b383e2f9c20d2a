import { FakeClock } from '../../../test/fixtures/clock.js';
import { resolveCacheOptions } from '../cache-options.js';
import { MemoryStore } from './memory.store.js';
import { describeStoreContract } from '../../../test/fixtures/store-contract.js';
import { l1Subject } from '../../../test/fixtures/tier-subjects.js';

const policies = {
  alpha: { l1TtlMs: 60_000, l2TtlMs: 60_000, jitter: 0 },
  beta: { l1TtlMs: 60_000, l2TtlMs: 60_000, jitter: 0 },
};

describeStoreContract('MemoryStore', async () => {
  const clock = new FakeClock();
  const options = resolveCacheOptions({ policies, now: clock.now });
  const store = l1Subject(new MemoryStore(options), options);
  return { store, advance: (ms) => clock.advance(ms), close: async () => undefined };
});
