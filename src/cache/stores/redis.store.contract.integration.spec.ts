import { FakeClock } from '../../../test/fixtures/clock.js';
import { deletePrefix, rawClient, uniquePrefix } from '../../../test/fixtures/redis.js';
import { resolveCacheOptions } from '../cache-options.js';
import { RedisStore } from './redis.store.js';
import { describeStoreContract } from '../../../test/fixtures/store-contract.js';
import { l2Subject } from '../../../test/fixtures/tier-subjects.js';

const policies = {
  alpha: { l1TtlMs: 60_000, l2TtlMs: 60_000, jitter: 0 },
  beta: { l1TtlMs: 60_000, l2TtlMs: 60_000, jitter: 0 },
};

describeStoreContract(
  'RedisStore',
  async () => {
    const clock = new FakeClock();
    const prefix = uniquePrefix('redis-contract');
    const client = rawClient();
    const options = resolveCacheOptions({ prefix, policies, now: clock.now });
    const store = l2Subject(new RedisStore(client, options), options);
    return {
      store,
      advance: (ms) => clock.advance(ms),
      close: async () => {
        await deletePrefix(client, prefix);
        await client.quit();
      },
    };
  },
  { resolvesNamespaces: false },
);
