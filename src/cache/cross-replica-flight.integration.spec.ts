import { createReplicaSet, type HybridHandle } from '../../test/fixtures/redis.js';

// Single-flight across replicas: the load lock in Redis, so that a burst of misses for one key on
// several replicas loads the source once.
describe('HybridCacheService single-flight across replicas', () => {
  it.each([
    [2_000, 'on', 1],
    [0, 'off', 3],
  ])(
    'lockWaitMs %i (%s): a burst of misses on three replicas loads the source %i time(s)',
    async (lockWaitMs, _, expected) => {
      const set = await createReplicaSet(3, 'xflight', { policies: { item: { jitter: 0, lockWaitMs } } });
      const { replicas } = set;
      try {
        let loads = 0;
        const source = async () => {
          loads++;
          await new Promise((resolve) => setTimeout(resolve, 30));
          return 'v';
        };

        const values = await Promise.all(
          replicas.flatMap(({ cache }) => Array.from({ length: 5 }, () => cache.wrap('item', 'hot', source))),
        );

        expect(values).toEqual(Array(15).fill('v'));
        expect(loads).toBe(expected);
      } finally {
        await set.close();
      }
    },
  );

  it('a replica that takes the lock after another loaded, stored and released it does not load again', async () => {
    const set = await createReplicaSet(2, 'xflight-late', {
      policies: { item: { jitter: 0, lockWaitMs: 2_000 } },
    });
    const [a, b] = set.replicas as [HybridHandle, HybridHandle];
    try {
      let loads = 0;
      const source = () => {
        loads++;
        return `v${loads}`;
      };
      // B has read L2 (nothing there) and is about to take the lock when A's whole load happens: A
      // misses, takes the lock, loads, stores, releases; only then does B take the lock.
      let aDone!: () => void;
      const aFinished = new Promise<void>((resolve) => (aDone = resolve));
      const tier = b.stack.l2!.tier;
      const acquire = tier.acquireLoadLock.bind(tier);
      tier.acquireLoadLock = async (key, ttlMs) => {
        await aFinished;
        return acquire(key, ttlMs);
      };
      const fromB = b.cache.wrap('item', 'hot', source);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const fromA = await a.cache.wrap('item', 'hot', source);
      aDone();

      expect(fromA).toBe('v1');
      expect(await fromB).toBe('v1');
      expect(loads).toBe(1);
      expect(b.cache.stats().namespaces.item!.l2.hits).toBe(1);
    } finally {
      await set.close();
    }
  });
});
