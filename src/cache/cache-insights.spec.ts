import { FakeClock } from '../../test/fixtures/clock.js';
import { createHybrid, type HybridHandle } from '../../test/fixtures/redis.js';
import { NamespaceCounters, observeLoadMs, settleTimeSaved } from './cache-stats.js';

const MINUTE = 60_000;

/**
 * The figures no other cache publishes: how stale what was served was, how many bytes hits served
 * beside how many requests, and how much source time hits saved. Memory-only: no Redis needed.
 */
describe('cache insights', () => {
  let clock: FakeClock;
  let handle: HybridHandle;
  const policies = {
    item: { l1TtlMs: MINUTE, l2TtlMs: MINUTE, jitter: 0, graceMs: 10 * MINUTE, failSafeThrottleMs: 0 },
  };

  beforeEach(async () => {
    clock = new FakeClock();
    handle = await createHybrid({ policies, now: clock.now });
  });
  afterEach(() => handle.close());

  it('observes the age of each stale value served: how long past its freshness it was', async () => {
    const { cache } = handle;
    await cache.wrap('item', 'k', async () => 'old');
    clock.advance(MINUTE + 20_000);

    await expect(cache.wrap('item', 'k', () => Promise.reject(new Error('down')))).resolves.toBe('old');

    const { staleAges } = cache.stats();
    expect(staleAges.count).toBe(1);
    expect(staleAges.sum).toBe(20);
    // 20 s falls in the bucket (15 s, 30 s].
    expect(staleAges.counts[staleAges.buckets.indexOf(30)]).toBe(1);
    expect(staleAges.counts.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('a fresh hit is no stale serve: the stale-age histogram stays empty', async () => {
    await handle.cache.wrap('item', 'k', async () => 'v');
    await handle.cache.wrap('item', 'k', async () => 'v');
    expect(handle.cache.stats().staleAges.count).toBe(0);
  });

  it('counts the bytes hits served beside the bytes loaded: the byte hit ratio', async () => {
    const { cache } = handle;
    await cache.wrap('item', 'big', async () => 'x'.repeat(10_000));
    await cache.wrap('item', 'big', async () => 'unused');
    await cache.wrap('item', 'big', async () => 'unused');
    await cache.wrap('item', 'small', async () => 'y');

    const ns = cache.stats().namespaces.item!;
    const bigBytes = ns.hitBytes / 2;
    expect(bigBytes).toBeGreaterThan(10_000);
    expect(ns.missBytes).toBeGreaterThan(bigBytes);
    // Two hits of three requests for the big value and one miss for a small one: by requests a half,
    // by bytes nearly two thirds.
    expect(ns.hitRate).toBe(0.5);
    expect(ns.byteHitRate).toBeCloseTo(ns.hitBytes / (ns.hitBytes + ns.missBytes), 10);
    expect(ns.byteHitRate).toBeGreaterThan(0.6);
    expect(cache.stats().overall.byteHitRate).toBe(ns.byteHitRate);
  });

  it('prices the source time hits saved at the moving average load duration, and the total only grows', () => {
    const c = new NamespaceCounters();
    observeLoadMs(c, 100);
    c.l1Hits = 3;
    expect(settleTimeSaved(c)).toBe(300);

    // A slower load moves the average (0.9 × 100 + 0.1 × 200 = 110); hits already priced keep their price.
    observeLoadMs(c, 200);
    c.l2Hits = 1;
    expect(settleTimeSaved(c)).toBeCloseTo(410, 10);

    observeLoadMs(c, 1);
    expect(settleTimeSaved(c)).toBeCloseTo(410, 10);
    expect(c.loadMsTotal).toBe(301);
  });

  it('reports the time saved per namespace and overall in the stats snapshot', async () => {
    const { cache } = handle;
    await cache.wrap('item', 'k', async () => 'v');
    await cache.wrap('item', 'k', async () => 'v');
    await cache.wrap('item', 'k', async () => 'v');

    const { namespaces, overall } = cache.stats();
    const ns = namespaces.item!;
    expect(ns.sourceTimeSavedMs).toBeCloseTo(2 * ns.avgLoadMs, 6);
    expect(overall.sourceTimeSavedMs).toBe(ns.sourceTimeSavedMs);
  });
});
