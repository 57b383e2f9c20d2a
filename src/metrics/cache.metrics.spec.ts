import { Registry } from 'prom-client';
import type { CacheStatsSnapshot } from '../cache/index.js';
import { registerCacheMetrics } from './cache.metrics.js';

/** A cache with no namespaces, L2 up, and the given pending evictions and bus counters. */
function statsWith(pendingEvictions: number, bus: CacheStatsSnapshot['bus']): CacheStatsSnapshot {
  return {
    overall: {
      hitRate: 0,
      byteHitRate: 0,
      requests: 0,
      hits: 0,
      misses: 0,
      stale: 0,
      loads: 0,
      sourceTimeSavedMs: 0,
    },
    namespaces: {},
    l1: { entries: 0, bytes: 0, maxBytes: 1024, maxEntries: 10, writes: 0, pressureEvictions: 0 },
    l2: {
      status: 'up',
      circuit: 'closed',
      latencyMs: 1,
      reads: 0,
      writes: 0,
      errors: 0,
      timeouts: 0,
      circuitOpened: 0,
      pendingEvictions,
      evictionFailures: 0,
      connectionsReplaced: 0,
      lastError: undefined,
      reason: undefined,
    },
    bus,
    inFlight: 0,
    loadDurations: { buckets: [1], counts: [0, 0], sum: 0, count: 0 },
    staleAges: { buckets: [1], counts: [0, 0], sum: 0, count: 0 },
    evictionDelays: { buckets: [1], counts: [0, 0], sum: 0, count: 0 },
  };
}

const emptyDelays = [
  'vidcache_cache_bus_eviction_delay_seconds_bucket{le="1"} 0',
  'vidcache_cache_bus_eviction_delay_seconds_bucket{le="+Inf"} 0',
  'vidcache_cache_bus_eviction_delay_seconds_sum 0',
  'vidcache_cache_bus_eviction_delay_seconds_count 0',
];

const samples = async (registry: Registry, prefix: string) =>
  (await registry.metrics()).split('\n').filter((line) => line.startsWith(prefix));

describe('cache metrics the alert rules need', () => {
  it('exports pending evictions as a gauge that follows the cache both ways', async () => {
    const registry = new Registry();
    let stats = statsWith(3, undefined);
    registerCacheMetrics(registry, () => stats);

    expect(await samples(registry, 'vidcache_cache_l2_pending_evictions')).toEqual([
      'vidcache_cache_l2_pending_evictions 3',
    ]);
    stats = statsWith(0, undefined);
    expect(await samples(registry, 'vidcache_cache_l2_pending_evictions')).toEqual([
      'vidcache_cache_l2_pending_evictions 0',
    ]);
  });

  it('exports the bus counters published, received and resubscriptions as counters', async () => {
    const registry = new Registry();
    let bus = {
      published: 4,
      received: 7,
      malformed: 1,
      resubscriptions: 0,
      resubscribeFailures: 0,
      renewals: 0,
      heartbeatErrors: 0,
      gaps: 0,
      hearing: true,
      deafPeriods: 0,
      deafMs: 0,
    };
    registerCacheMetrics(registry, () => statsWith(0, bus));

    expect(await samples(registry, 'vidcache_cache_bus_')).toEqual([
      'vidcache_cache_bus_published_total 4',
      'vidcache_cache_bus_received_total 7',
      'vidcache_cache_bus_resubscriptions_total 0',
      'vidcache_cache_bus_resubscribe_failures_total 0',
      'vidcache_cache_bus_renewals_total 0',
      'vidcache_cache_bus_hearing 1',
      'vidcache_cache_bus_deaf_seconds_total 0',
      'vidcache_cache_bus_malformed_total 1',
      ...emptyDelays,
    ]);
    bus = {
      ...bus,
      received: 9,
      resubscriptions: 1,
      resubscribeFailures: 2,
      renewals: 3,
      hearing: false,
      deafPeriods: 1,
      deafMs: 1500,
    };
    expect(await samples(registry, 'vidcache_cache_bus_')).toEqual([
      'vidcache_cache_bus_published_total 4',
      'vidcache_cache_bus_received_total 9',
      'vidcache_cache_bus_resubscriptions_total 1',
      'vidcache_cache_bus_resubscribe_failures_total 2',
      'vidcache_cache_bus_renewals_total 3',
      'vidcache_cache_bus_hearing 0',
      'vidcache_cache_bus_deaf_seconds_total 1.5',
      'vidcache_cache_bus_malformed_total 1',
      ...emptyDelays,
    ]);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE vidcache_cache_bus_received_total counter');
  });

  it('reads the bus counters as zero without a bus (memory-only): such a replica never looks deaf', async () => {
    const registry = new Registry();
    registerCacheMetrics(registry, () => statsWith(0, undefined));

    // prom-client shows a label-less counter at 0 until it is incremented; nothing is published
    // without Redis, so the bus-deaf alert (received nothing while others published) stays quiet.
    expect(await samples(registry, 'vidcache_cache_bus_')).toEqual([
      'vidcache_cache_bus_published_total 0',
      'vidcache_cache_bus_received_total 0',
      'vidcache_cache_bus_resubscriptions_total 0',
      'vidcache_cache_bus_resubscribe_failures_total 0',
      'vidcache_cache_bus_renewals_total 0',
      'vidcache_cache_bus_hearing 1',
      'vidcache_cache_bus_deaf_seconds_total 0',
      'vidcache_cache_bus_malformed_total 0',
      ...emptyDelays,
    ]);
  });
});
