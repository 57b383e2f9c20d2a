import { CacheUnavailableError } from './cache-unavailable.error.js';
import { performance } from 'node:perf_hooks';
import { waitFor } from '../../test/fixtures/deferred.js';
import { createHybrid, freePort, RedisServerProcess, type HybridHandle } from '../../test/fixtures/redis.js';
import { TcpProxy } from '../../test/fixtures/tcp-proxy.js';

const L2_TIMEOUT_MS = 100;
const policies = { item: { l1TtlMs: 60_000, l2TtlMs: 60_000, jitter: 0 } };
const options = { l2: { timeoutMs: L2_TIMEOUT_MS, failureThreshold: 3, cooldownMs: 200 }, policies };

/** Runs `fn` and returns its result with its duration in ms. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

describe('HybridCacheService when Redis fails', () => {
  let server: RedisServerProcess;
  const handles: HybridHandle[] = [];

  beforeEach(async () => {
    server = new RedisServerProcess(await freePort());
    await server.start();
  });
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.close()));
    await server.stop();
  });

  it('keeps serving through a kill and restart, then applies the evictions made while Redis was down', async () => {
    const prefix = 'outage';
    const a = await createHybrid({ ...options, prefix, redisUrl: server.url });
    handles.push(a);
    await a.cache.wrap('item', 'evicted-while-down', () => 'old');
    await a.cache.wrap('item', 'untouched', () => 'kept');

    await server.kill();
    const during: number[] = [];
    for (let i = 0; i < 50; i++) {
      const call = await timed(() => a.cache.wrap('item', ['during', i], () => `v${i}`));
      expect(call.value).toBe(`v${i}`);
      during.push(call.ms);
    }
    // A write during the outage: refused (503), since no replica could be told; the eviction is
    // still kept, because the source may have changed before the refusal.
    await expect(a.cache.delete('item', 'evicted-while-down')).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(a.cache.stats().l2.status).toBe('down');
    expect(a.cache.stats().l2.pendingEvictions).toBe(1);

    await server.start(); // the append-only file brings the old value back
    await waitFor(() => a.cache.stats().l2.status === 'up', 10_000);

    // Another replica, whose L1 never saw the key, reads it from Redis: the old value must be gone.
    const b = await createHybrid({ ...options, prefix, redisUrl: server.url });
    handles.push(b);
    expect(await b.cache.wrap('item', 'evicted-while-down', () => 'new')).toBe('new');
    expect(await b.cache.wrap('item', 'untouched', () => 'reloaded')).toBe('kept');
    expect(a.cache.stats().l2.pendingEvictions).toBe(0);
    const slowest = Math.max(...during);
    console.log(
      `outage (killed): 50 calls, slowest ${slowest.toFixed(1)} ms, median ${median(during).toFixed(2)} ms`,
    );
    expect(slowest).toBeLessThan(L2_TIMEOUT_MS * 3);
  });

  it('answers every call within the L2 timeout while Redis is unresponsive, then recovers', async () => {
    const proxy = new TcpProxy({ host: '127.0.0.1', port: server.port });
    const port = await proxy.listen();
    try {
      const a = await createHybrid({ ...options, prefix: 'hung', redisUrl: `redis://127.0.0.1:${port}` });
      handles.push(a);
      await a.cache.wrap('item', 'warm', () => 'cached');

      proxy.stall();
      const durations: number[] = [];
      for (let i = 0; i < 20; i++) {
        const call = await timed(() => a.cache.wrap('item', ['cold', i], () => i));
        expect(call.value).toBe(i);
        durations.push(call.ms);
      }
      const hit = await timed(() => a.cache.wrap('item', 'warm', () => 'source'));
      const stats = a.cache.stats();

      // Redis answers nothing, so no eviction (nor heartbeat) can reach this replica: it is deaf,
      // and a deaf replica does not serve L1, whose entries may have been evicted elsewhere.
      expect(stats.bus!.hearing).toBe(false);
      expect(hit.value).toBe('source');
      expect(stats.l2.status).toBe('down'); // the breaker opened
      expect(stats.l2.timeouts).toBeGreaterThanOrEqual(3);
      const slowest = Math.max(...durations);
      console.log(
        `outage (unresponsive): 20 calls, slowest ${slowest.toFixed(1)} ms (L2 timeout ${L2_TIMEOUT_MS} ms), ` +
          `${durations.filter((d) => d < 5).length} answered in < 5 ms once the circuit opened`,
      );
      // A miss waits at most for one timed-out read (and one more for its epoch check), never longer.
      expect(slowest).toBeLessThan(L2_TIMEOUT_MS * 2 + 100);

      proxy.resume();
      await waitFor(() => a.cache.stats().l2.status === 'up', 10_000);
      await waitFor(() => a.cache.stats().bus!.hearing, 10_000);
      expect(await a.cache.wrap('item', ['after', 1], () => 'ok')).toBe('ok');
    } finally {
      await proxy.close();
    }
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('shutdown while Redis is down', () => {
  it('closes within a bound instead of waiting for a connection that is reconnecting', async () => {
    const server = new RedisServerProcess(await freePort());
    await server.start();
    const handle = await createHybrid({ ...options, prefix: 'closing', redisUrl: server.url });
    await server.kill();
    await waitFor(() => handle.cache.stats().l2.status === 'down');

    const closing = await timed(() => handle.close());

    expect(closing.ms).toBeLessThan(3_000);
    await server.stop();
  });
});
