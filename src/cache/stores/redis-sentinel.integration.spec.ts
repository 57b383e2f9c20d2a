import { CacheUnavailableError } from '../cache-unavailable.error.js';
import { performance } from 'node:perf_hooks';
import { waitFor } from '../../../test/fixtures/deferred.js';
import { RedisSentinelSet, SENTINEL_MASTER_NAME } from '../../../test/fixtures/redis-sentinel.js';
import { createHybrid, type HybridHandle } from '../../../test/fixtures/redis.js';

const policies = { item: { jitter: 0 } };

describe('under Redis Sentinel, when the master dies', () => {
  const sentinel = new RedisSentinelSet();
  const handles: HybridHandle[] = [];
  const open = async () => {
    const handle = await createHybrid({
      prefix: 'failover',
      redisSentinels: sentinel.sentinels,
      redisSentinelName: SENTINEL_MASTER_NAME,
      policies,
      l2: { timeoutMs: 100, failureThreshold: 3, cooldownMs: 200 },
    });
    handles.push(handle);
    return handle;
  };

  beforeAll(() => sentinel.start(), 30_000);
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
    await sentinel.stop();
  });

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
    const failoverMs = await waitFor(async () => {
      const port = await sentinel.currentMasterPort();
      return port !== undefined && port !== oldMaster;
    }, 30_000);
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
