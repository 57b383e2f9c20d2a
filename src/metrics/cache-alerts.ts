import type { CacheStatsSnapshot } from '../cache/index.js';

/** Where each cache alert starts. */
export const CACHE_ALERT_THRESHOLDS = {
  minHitRate: 0.8,
  maxL2LatencyMs: 100,
  maxEvictionRate: 0.1,
  maxL1MemoryRatio: 0.8,
  /**
   * The hit-rate alert waits for this many reads asked for by requests, so a cold start is not an
   * alert. Warm-up and predictive loads are not among them (they count as prefetches), so an idle
   * replica whose only misses were its own warm-up stays quiet.
   */
  minRequestsForHitRate: 100,
} as const;

export type CacheAlertThresholds = { readonly [K in keyof typeof CACHE_ALERT_THRESHOLDS]: number };

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

/**
 * The alerts a cache snapshot raises, as one line of text each: what the admin stats list, the
 * alert monitor logs and the `vidcache_cache_alerts` gauge counts. A pure function, so each of them
 * sees the same alerts for the same snapshot.
 */
export function cacheAlerts(
  s: CacheStatsSnapshot,
  t: CacheAlertThresholds = CACHE_ALERT_THRESHOLDS,
): string[] {
  const list: string[] = [];
  if (s.overall.requests >= t.minRequestsForHitRate && s.overall.hitRate < t.minHitRate) {
    list.push(`hit rate ${percent(s.overall.hitRate)} is under ${t.minHitRate * 100}%`);
  }
  if (s.l2.status === 'down') list.push(`L2 (Redis) is down: serving from L1 and the source`);
  if (s.bus && !s.bus.hearing) list.push(`the invalidation bus is deaf: L1 is not served`);
  if (s.l2.latencyMs > t.maxL2LatencyMs) {
    list.push(`L2 latency ${s.l2.latencyMs.toFixed(1)} ms is over ${t.maxL2LatencyMs} ms`);
  }
  const evictionRate = s.l1.writes === 0 ? 0 : s.l1.pressureEvictions / s.l1.writes;
  if (evictionRate > t.maxEvictionRate) {
    list.push(`L1 eviction rate ${percent(evictionRate)} is over ${t.maxEvictionRate * 100}%`);
  }
  if (s.l1.bytes > s.l1.maxBytes * t.maxL1MemoryRatio) {
    list.push(`L1 memory ${s.l1.bytes} bytes is over ${t.maxL1MemoryRatio * 100}% of ${s.l1.maxBytes}`);
  }
  return list;
}
