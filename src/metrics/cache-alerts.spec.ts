import { createHybrid, type HybridHandle } from '../../test/fixtures/redis.js';
import type { CacheStatsSnapshot } from '../cache/index.js';
import { CACHE_ALERT_THRESHOLDS, cacheAlerts } from './cache-alerts.js';

const READS = CACHE_ALERT_THRESHOLDS.minRequestsForHitRate + 50;

describe('cacheAlerts', () => {
  let handle: HybridHandle;
  /** A real snapshot of a quiet, memory-only cache, for the cases below to change one part of. */
  let quiet: CacheStatsSnapshot;

  beforeEach(async () => {
    handle = await createHybrid({ namespaces: { alpha: { jitter: 0 } } });
    quiet = handle.cache.stats();
  });
  afterEach(() => handle.close());

  /** Misses on `n` distinct keys, each loaded from the source. */
  const miss = async (n: number, from: string) => {
    for (let i = 0; i < n; i++) await handle.cache.wrap('alpha', [from, i], () => i);
  };

  it('raises nothing for a quiet cache', () => {
    expect(cacheAlerts(quiet)).toEqual([]);
  });

  it('raises nothing on an idle replica whose only misses were its own warm-up', async () => {
    await handle.context.runInBackground(() => miss(READS, 'warm'));

    const stats = handle.cache.stats();
    expect(stats.namespaces.alpha!.prefetches).toBe(READS);
    expect(stats.overall.requests).toBe(0);
    expect(cacheAlerts(stats)).toEqual([]);
  });

  it('raises a low hit rate once enough requests missed', async () => {
    await handle.context.runInBackground(() => miss(READS, 'warm'));
    await miss(READS, 'asked');

    expect(cacheAlerts(handle.cache.stats())).toEqual(['hit rate 0.0% is under 80%']);
  });

  it('waits for enough requests before judging the hit rate', () => {
    const overall = { ...quiet.overall, hitRate: 0.1 };
    const below = CACHE_ALERT_THRESHOLDS.minRequestsForHitRate - 1;
    expect(cacheAlerts({ ...quiet, overall: { ...overall, requests: below } })).toEqual([]);
    expect(cacheAlerts({ ...quiet, overall: { ...overall, requests: below + 1 } })).toEqual([
      'hit rate 10.0% is under 80%',
    ]);
  });

  it('raises L2 down, a deaf bus, slow L2, L1 evictions and L1 memory, each naming its figure', () => {
    const bus = { hearing: false } as NonNullable<CacheStatsSnapshot['bus']>;
    const troubled: CacheStatsSnapshot = {
      ...quiet,
      l2: { ...quiet.l2, status: 'down', latencyMs: 150 },
      bus,
      l1: { ...quiet.l1, writes: 100, pressureEvictions: 20, bytes: 900, maxBytes: 1000 },
    };
    expect(cacheAlerts(troubled)).toEqual([
      'L2 (Redis) is down: serving from L1 and the source',
      'the invalidation bus is deaf: L1 is not served',
      'L2 latency 150.0 ms is over 100 ms',
      'L1 eviction rate 20.0% is over 10%',
      'L1 memory 900 bytes is over 80% of 1000',
    ]);
  });

  it('stays quiet at each threshold itself', () => {
    const atThresholds: CacheStatsSnapshot = {
      ...quiet,
      overall: { ...quiet.overall, requests: READS, hitRate: CACHE_ALERT_THRESHOLDS.minHitRate },
      l2: { ...quiet.l2, latencyMs: CACHE_ALERT_THRESHOLDS.maxL2LatencyMs },
      l1: { ...quiet.l1, writes: 100, pressureEvictions: 10, bytes: 800, maxBytes: 1000 },
    };
    expect(cacheAlerts(atThresholds)).toEqual([]);
  });
});
