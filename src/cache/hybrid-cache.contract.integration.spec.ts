import { FakeClock } from '../../test/fixtures/clock.js';
import {
  createHybrid,
  deletePrefix,
  rawClient,
  TEST_REDIS_URL,
  uniquePrefix,
} from '../../test/fixtures/redis.js';
import { describeStoreContract } from '../../test/fixtures/store-contract.js';

const policies = {
  alpha: { l1TtlMs: 60_000, l2TtlMs: 60_000, jitter: 0 },
  beta: { l1TtlMs: 60_000, l2TtlMs: 60_000, jitter: 0 },
};

describeStoreContract('HybridCacheService (L1 + Redis)', async () => {
  const clock = new FakeClock();
  const prefix = uniquePrefix('hybrid-contract');
  const handle = await createHybrid({ prefix, redisUrl: TEST_REDIS_URL, policies, now: clock.now });
  return {
    store: handle.cache,
    advance: (ms) => clock.advance(ms),
    close: async () => {
      await handle.close();
      const client = rawClient();
      await deletePrefix(client, prefix);
      await client.quit();
    },
  };
});

describeStoreContract('HybridCacheService (memory-only)', async () => {
  const clock = new FakeClock();
  const handle = await createHybrid({ policies, now: clock.now });
  return { store: handle.cache, advance: (ms) => clock.advance(ms), close: () => handle.close() };
});
