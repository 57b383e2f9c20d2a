import { Redis } from 'ioredis';
import { CacheUnavailableError } from '../cache-unavailable.error.js';
import { performance } from 'node:perf_hooks';
import { waitFor } from '../../../test/fixtures/deferred.js';
import { RedisSentinelSet, SENTINEL_MASTER_NAME } from '../../../test/fixtures/redis-sentinel.js';
import { createHybrid, type HybridHandle } from '../../../test/fixtures/redis.js';

const policies = { item: { jitter: 0 } };

/**
 * A Sentinel set for the enclosing `describe`, started before its tests and stopped after them,
 * and caches on it as the service makes them (each closed after the tests).
 */
function sentinelRig(prefix: string, timeoutMs: number, options?: { replicationThroughProxy?: boolean }) {
  const sentinel = new RedisSentinelSet(options);
  const handles: HybridHandle[] = [];
  beforeAll(() => sentinel.start(), 30_000);
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
    await sentinel.stop();
  });
  const open = async () => {
    const handle = await createHybrid({
      prefix,
      redisSentinels: sentinel.sentinels,
      redisSentinelName: SENTINEL_MASTER_NAME,
      policies,
      l2: { timeoutMs, failureThreshold: 3, cooldownMs: 200 },
    });
    handles.push(handle);
    return handle;
  };
  return { sentinel, open };
}

describe('under Redis Sentinel, when the master dies', () => {
  const { sentinel, open } = sentinelRig('failover', 100);

  it('keeps serving through the failover, and honours an eviction made during it', async () => {
    const a = await open();
    await a.cache.wrap('item', 'evicted-during-failover', () => 'old');
    await waitFor(async () => (await a.cache.stats().l2.status) === 'up');

    const oldMaster = sentinel.masterPort;
    let calls = 0;
    let errors = 0;
    let slowest = 0;
    const traffic$ = { running: true };
    const traffic = (async () => {
      while (traffic$.running) {
        const started = performance.now();
        try {
          await a.cache.wrap('item', ['traffic', calls % 50], () => `v${calls}`);
        } catch {
          errors++;
        }
        calls++;
        slowest = Math.max(slowest, performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    sentinel.killMaster();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A write while the master is gone: refused (no replica can be told), its eviction kept and replayed.
    await expect(a.cache.delete('item', 'evicted-during-failover')).rejects.toBeInstanceOf(
      CacheUnavailableError,
    );
    const failoverMs = await sentinel.failedOverFrom(oldMaster);
    await waitFor(
      () => a.cache.stats().l2.status === 'up' && a.cache.stats().l2.pendingEvictions === 0,
      30_000,
    );
    traffic$.running = false;
    await traffic;

    // A replica whose L1 never saw the key reads it from the promoted master: the old value is gone.
    const b = await open();
    expect(await b.cache.wrap('item', 'evicted-during-failover', () => 'new')).toBe('new');
    expect(errors).toBe(0);
    console.log(
      `sentinel failover: promoted in ~${Math.round(failoverMs)} ms after the kill was noticed; ` +
        `${calls} calls during it, ${errors} errors, slowest ${slowest.toFixed(1)} ms`,
    );
  }, 60_000);
});

describe('under Redis Sentinel, when the master dies before its replica has an eviction', () => {
  // The replica's link to the master runs through a proxy that can lose what the master sends,
  // while both ends believe the link is up: the master counts the replica as connected.
  const { sentinel, open } = sentinelRig('lost-in-replication', 150, { replicationThroughProxy: true });

  it('the write is refused (503) rather than acknowledged, and the promoted master never serves the old value', async () => {
    const a = await open();
    await a.cache.wrap('item', 'k', () => 'old');
    const master = new Redis({ port: sentinel.masterPort, host: '127.0.0.1', lazyConnect: true });
    await master.connect();
    // The old value has reached the replica.
    expect(await master.wait(1, 5_000)).toBe(1);
    master.disconnect();

    sentinel.replicationLink!.dropBytes();
    // Redis takes the eviction; its replica does not. Acknowledged, a failover would undo it.
    const write = await a.cache.delete('item', 'k').then(
      () => 'acknowledged',
      (error: Error) => error,
    );
    const afterWrite = a.cache.stats().l2;

    const oldMaster = sentinel.masterPort;
    sentinel.killMaster();
    await sentinel.replicationLink!.close();
    await sentinel.failedOverFrom(oldMaster);
    // The replica that never saw the eviction is the master now. A replays it there before it
    // reads Redis again.
    await waitFor(
      () => a.cache.stats().l2.status === 'up' && a.cache.stats().l2.pendingEvictions === 0,
      30_000,
    );
    // A replica whose L1 never held the key reads it from the promoted master. (Without the wait
    // for the replica, the write was acknowledged and this read found the old value.)
    const b = await open();
    expect(await b.cache.wrap('item', 'k', () => 'new')).toBe('new');
    expect(await a.cache.wrap('item', 'k', () => 'new')).toBe('new');
    expect(write).toBeInstanceOf(CacheUnavailableError);
    expect((write as Error).message).toMatch(
      /replicas did not take the change: 0 of 1 replicas acknowledged/,
    );
    expect(afterWrite).toMatchObject({ status: 'down', pendingEvictions: 1, evictionFailures: 1 });
  }, 60_000);
});
