import { FakeClock } from '../../../test/fixtures/clock.js';
import { Deferred, waitFor } from '../../../test/fixtures/deferred.js';
import { RedisClusterProcesses } from '../../../test/fixtures/redis-cluster.js';
import { createHybrid, uniquePrefix } from '../../../test/fixtures/redis.js';
import { describeStoreContract, type ContractSubject } from '../../../test/fixtures/store-contract.js';
import { l2Subject } from '../../../test/fixtures/tier-subjects.js';
import { valueStateRace } from '../../../test/fixtures/value-state-race.js';
import { ANY } from '../cache-keys.js';
import { resolveCacheOptions } from '../cache-options.js';
import { RedisStore } from './redis.store.js';

const policies = {
  alpha: { l1TtlMs: 60_000, l2TtlMs: 60_000, jitter: 0 },
  beta: { l1TtlMs: 60_000, l2TtlMs: 60_000, jitter: 0 },
};

describe('on a Redis Cluster of three masters', () => {
  const cluster = new RedisClusterProcesses();
  beforeAll(() => cluster.start(), 60_000);
  afterAll(() => cluster.stop());

  describeStoreContract(
    'RedisStore on a Cluster',
    async () => {
      const clock = new FakeClock();
      const client = cluster.client();
      const options = resolveCacheOptions({ prefix: uniquePrefix('cluster'), policies, now: clock.now });
      const store = l2Subject(new RedisStore(client, options), options);
      return { store, advance: (ms) => clock.advance(ms), close: async () => void (await client.quit()) };
    },
    { resolvesNamespaces: false },
  );

  describeStoreContract('HybridCacheService on a Cluster', async () => {
    const clock = new FakeClock();
    const handle = await createHybrid({
      prefix: uniquePrefix('cluster-hybrid'),
      redisClusterNodes: cluster.nodes,
      policies,
      now: clock.now,
    });
    return { store: handle.cache, advance: (ms) => clock.advance(ms), close: () => handle.close() };
  });

  it('a load that saw a stale value does not store over a value written since (the Cluster script)', async () => {
    const client = cluster.client();
    try {
      await expect(valueStateRace(client, uniquePrefix('cluster-value-state'))).resolves.toEqual({
        storedWhenUnchanged: true,
        storedOverWrite: false,
        leftIsTheWrite: true,
      });
    } finally {
      await client.quit();
    }
  });

  it.each([
    ['a key eviction', (store: ContractSubject) => store.deleteMany('alpha', ['k'])],
    ['a pattern eviction', (store: ContractSubject) => store.deleteByPattern('alpha', [ANY])],
    ['a namespace clear', (store: ContractSubject) => store.clearNamespace('alpha')],
    ['a tag eviction', (store: ContractSubject) => store.deleteByTag('t')],
  ])('a load does not store its older value after %s on another replica', async (_, evict) => {
    const prefix = uniquePrefix('cluster-race');
    // The load's reads of L2 must answer for the conditional store to be what decides (see
    // UNHURRIED_L2_TIMEOUT_MS): one that timed out would, with no bus message to stop it, fill L1.
    const handle = await createHybrid({ prefix, redisClusterNodes: cluster.nodes, policies });
    const client = cluster.client();
    const otherOptions = resolveCacheOptions({ prefix, policies });
    const other = l2Subject(new RedisStore(client, otherOptions), otherOptions);
    try {
      const started = new Deferred();
      const result = new Deferred<string>();
      const reading = handle.cache.wrap(
        'alpha',
        'k',
        () => {
          started.resolve();
          return result.promise;
        },
        { tags: ['t'] },
      );
      await started.promise;

      await evict(other);
      result.resolve('old');
      await reading;

      const stored = await client.getBuffer(`${prefix}:alpha:k`);
      expect(stored === null || stored[0] === 'T'.charCodeAt(0)).toBe(true);
      // Refused by the conditional store in Redis, not kept out by anything local.
      expect(handle.cache.stats().namespaces.alpha!.discardedLoads).toBe(1);
      expect(await handle.cache.wrap('alpha', 'k', () => 'new')).toBe('new');
    } finally {
      await handle.close();
      await client.quit();
    }
  });

  it('carries evictions between replicas over the bus on a Cluster', async () => {
    const prefix = uniquePrefix('cluster-bus');
    const [a, b] = await Promise.all([
      createHybrid({ prefix, redisClusterNodes: cluster.nodes, policies }),
      createHybrid({ prefix, redisClusterNodes: cluster.nodes, policies }),
    ]);
    try {
      await a.cache.wrap('alpha', 'k', () => 'v1');
      expect(await b.cache.wrap('alpha', 'k', () => 'never')).toBe('v1');

      await a.cache.delete('alpha', 'k');
      await waitFor(() => b.cache.stats().namespaces.alpha!.l1Entries === 0, 2_000);

      expect(await b.cache.wrap('alpha', 'k', () => 'v2')).toBe('v2');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('spreads a namespace over every master, and clears it on every master', async () => {
    const handle = await createHybrid({
      prefix: uniquePrefix('spread'),
      redisClusterNodes: cluster.nodes,
      policies,
    });
    const client = cluster.client();
    try {
      for (let i = 0; i < 60; i++) await handle.cache.set('alpha', ['k', i], i);
      const perNode = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
      expect(perNode.every((n) => n > 0)).toBe(true);

      await handle.cache.clearNamespace('alpha');

      for (let i = 0; i < 60; i++) expect(await handle.cache.get('alpha', ['k', i])).toBeUndefined();
    } finally {
      await handle.close();
      await client.quit();
    }
  });
});
