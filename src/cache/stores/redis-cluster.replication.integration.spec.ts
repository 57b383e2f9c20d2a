import calculateSlot from 'cluster-key-slot';
import { waitFor } from '../../../test/fixtures/deferred.js';
import { RedisClusterProcesses } from '../../../test/fixtures/redis-cluster.js';
import { createHybrid, uniquePrefix, type HybridHandle } from '../../../test/fixtures/redis.js';
import { fullKey } from '../cache-keys.js';
import { BUS_SEGMENT } from '../cache.constants.js';
import { CacheUnavailableError } from '../cache-unavailable.error.js';

const policies = { alpha: { jitter: 0 } };

/**
 * On a Redis Cluster of three masters with a replica each: an eviction is done only once the
 * replicas of the masters it wrote to have it (`WAIT`), so a failover cannot bring an old value
 * back; and only those masters are waited for, so a replica that lags on one shard does not refuse
 * the writes of the others.
 */
describe('on a Redis Cluster with replicas, an eviction waits for the replicas of the masters it wrote to', () => {
  const cluster = new RedisClusterProcesses();
  let handle: HybridHandle;
  let prefix: string;

  beforeAll(async () => {
    await cluster.start(3, 1);
    prefix = uniquePrefix('cluster-wait');
    handle = await createHybrid({
      prefix,
      redisClusterNodes: cluster.nodes,
      policies,
      l2: { timeoutMs: 150, failureThreshold: 3, cooldownMs: 200 },
    });
  }, 60_000);
  afterAll(async () => {
    await handle?.close();
    await cluster.stop();
  });

  /** A key of namespace `alpha` whose slot `master` holds, or does not hold (`elsewhere`). */
  async function keyOn(master: number, elsewhere = false): Promise<string> {
    for (let i = 0; ; i++) {
      const key = `k${i}`;
      const on = (await cluster.masterOf(fullKey(prefix, 'alpha', key))) === master;
      if (on !== elsewhere) return key;
    }
  }

  /** `count` keys of namespace `alpha` in different slots, all held by `master`. */
  async function keysOn(master: number, count: number): Promise<string[]> {
    const keys = new Map<number, string>();
    for (let i = 0; keys.size < count; i++) {
      const key = `m${i}`;
      const full = fullKey(prefix, 'alpha', key);
      if ((await cluster.masterOf(full)) === master) keys.set(calculateSlot(full), key);
    }
    return [...keys.values()];
  }

  it('a replica that stops taking writes makes the evictions of its shard refused (503), and only those; reads and the bus on that shard go on', async () => {
    // The shard that carries the invalidation bus's channel: its heartbeats and publications, and
    // L2 reads of its keys, must not queue behind the WAITs its stalled replica leaves unanswered.
    const master = await cluster.masterOf(`${prefix}:${BUS_SEGMENT}`);
    const [replica] = await cluster.replicasOf(master);
    expect(replica).toEqual(expect.any(Number));
    const here = await keyOn(master);
    const there = await keyOn(master, true);
    const neighbour = fullKey(prefix, 'alpha', (await keysOn(master, 1))[0]!);
    for (const key of [here, there]) await handle.cache.wrap('alpha', key, () => 'old');
    const bus = handle.stack.bus!;
    const heartbeatErrors = bus.counters.heartbeatErrors;
    const deafPeriods = bus.counters.deafPeriods;

    // Stopped, the replica stays connected as far as its master knows: WAIT comes back short.
    cluster.pause(replica!);
    try {
      await expect(handle.cache.delete('alpha', there)).resolves.toBeUndefined();
      const refused = handle.cache.delete('alpha', here);
      // While that eviction waits for the replica (its WAIT blocked on the master), a read of the
      // same shard is answered (within the 150 ms L2 timeout, not after the 500 ms WAIT).
      await waitFor(
        async () =>
          / cmd=wait .*flags=b|flags=b .*cmd=wait /.test(await cluster.cli(master, 'client', 'list')),
        5_000,
      );
      await expect(handle.stack.l2!.tier.read(neighbour)).resolves.toMatchObject({ kind: 'absent' });
      await expect(refused).rejects.toBeInstanceOf(CacheUnavailableError);
      await expect(refused).rejects.toThrow(/replicas did not take the change: 0 of 1 replicas acknowledged/);
      // L2 is skipped until the eviction is replayed.
      expect(handle.cache.stats().l2).toMatchObject({
        status: 'down',
        pendingEvictions: 1,
        evictionFailures: 1,
      });
      // The bus went on: every heartbeat was published and heard (L1 stays served).
      expect(bus.counters.heartbeatErrors).toBe(heartbeatErrors);
      expect(bus.counters.deafPeriods).toBe(deafPeriods);
      expect(bus.hears()).toBe(true);
    } finally {
      cluster.resume(replica!);
    }
    // Once the replica takes writes again, the eviction is replayed and L2 is back in service.
    await waitFor(
      () => handle.cache.stats().l2.status === 'up' && handle.cache.stats().l2.pendingEvictions === 0,
      20_000,
    );
    expect(await handle.cache.wrap('alpha', here, () => 'new')).toBe('new');
    expect(await handle.cache.wrap('alpha', there, () => 'new')).toBe('new');
  }, 60_000);

  it('a failover moves a shard: an eviction of several of its slots at once follows it to the new master', async () => {
    const [master] = await cluster.masters();
    const [replica] = await cluster.replicasOf(master!);
    const keys = await keysOn(master!, 6);
    for (const key of keys) await handle.cache.wrap('alpha', key, () => 'old');

    // The old master stays up and connected: the client learns of the move only from its MOVED
    // answers, here one per slot, to commands auto-pipelined in the same tick. ioredis follows none
    // of them (they differ), so the first eviction is refused (503) at once; then the client's slot
    // table is refreshed (refreshOnMoved). Without that, every replay met MOVED again.
    await cluster.failover(replica!);
    await cluster.waitHealthy();
    const refusal = await handle.cache.deleteMany('alpha', keys).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal === null || refusal instanceof CacheUnavailableError).toBe(true);

    // It is replayed on the new master, and L2 is back in service.
    await waitFor(() => {
      const { l2 } = handle.cache.stats();
      return l2.status === 'up' && l2.pendingEvictions === 0;
    }, 10_000);
    for (const key of keys) expect(await handle.cache.wrap('alpha', key, () => 'new')).toBe('new');
    await expect(handle.cache.deleteMany('alpha', keys)).resolves.toBeUndefined();
  }, 60_000);
});
