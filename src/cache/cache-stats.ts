/** Per-namespace counters; plain numbers, so counting on the hot path costs an increment. */
export class NamespaceCounters {
  l1Hits = 0;
  l2Hits = 0;
  staleHits = 0;
  /** Stale serves by reason: the source failed, it was slower than the soft timeout, or the key is throttled. */
  staleOnError = 0;
  staleOnTimeout = 0;
  staleThrottled = 0;
  misses = 0;
  /** Misses that joined a load already in flight instead of starting one. */
  coalesced = 0;
  /** Calls that bypassed the cache (`condition` false). */
  bypassed = 0;
  loads = 0;
  loadErrors = 0;
  loadMsTotal = 0;
  /** Loads whose result was not stored because an eviction happened meanwhile. */
  discardedLoads = 0;
  /** Values read from L2 or the source but kept out of L1, because an eviction of the namespace ran meanwhile. */
  unfilledReads = 0;
  /** Background refreshes started by hits close to expiry. */
  refreshes = 0;
  /** Misses of background work no request asked for (predictive pre-loads). */
  prefetches = 0;
  l1Writes = 0;
  evictions = 0;
  decodeErrors = 0;
}

/** Upper bounds (seconds) of the load-duration histogram buckets. */
export const LOAD_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class LoadDurationHistogram {
  readonly counts: number[] = Array.from({ length: LOAD_DURATION_BUCKETS.length + 1 }, () => 0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < LOAD_DURATION_BUCKETS.length && seconds > LOAD_DURATION_BUCKETS[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

export class L2Counters {
  reads = 0;
  writes = 0;
  errors = 0;
  timeouts = 0;
  /** Evictions Redis refused (full, read-only, a script error). */
  evictionFailures = 0;
  /** Connections dropped and remade after repeated timeouts. */
  connectionsReplaced = 0;
  /** Exponentially weighted moving average of L2 round trips, in ms. */
  latencyMs = 0;
  lastError: string | undefined;

  observeLatency(ms: number): void {
    this.latencyMs = this.latencyMs === 0 ? ms : this.latencyMs * 0.9 + ms * 0.1;
  }
}

export interface TierCounts {
  hits: number;
  misses: number;
}

export interface NamespaceStatsSnapshot {
  hitRate: number;
  requests: number;
  l1: TierCounts;
  l2: TierCounts;
  stale: number;
  staleByReason: { error: number; timeout: number; throttled: number };
  coalesced: number;
  bypassed: number;
  loads: number;
  loadErrors: number;
  avgLoadMs: number;
  discardedLoads: number;
  unfilledReads: number;
  refreshes: number;
  prefetches: number;
  evictions: number;
  l1Evictions: number;
  decodeErrors: number;
  l1Entries: number;
  l1Bytes: number;
  l1MaxBytes: number;
  /** L1's eviction policy in this namespace. */
  l1Eviction: string;
  /** L1's hit ratio over its recent lookups, and what it would be with twice the room (from a ghost list of evictions). */
  l1HitRatio: number;
  l1HitRatioAt2x: number;
}

export const hitRate = (hits: number, requests: number) => (requests === 0 ? 0 : hits / requests);

/** The per-namespace snapshot, derived from counters and L1 usage. */
export function namespaceSnapshot(
  c: NamespaceCounters,
  l1: {
    entries: number;
    bytes: number;
    maxBytes: number;
    pressureEvictions: number;
    eviction: string;
    hitRatio: number;
    hitRatioAt2x: number;
  },
): NamespaceStatsSnapshot {
  const hits = c.l1Hits + c.l2Hits + c.staleHits;
  // Reads that joined a load already in flight were asked for too: neither hits nor new loads.
  const requests = hits + c.misses + c.coalesced;
  return {
    hitRate: hitRate(hits, requests),
    requests,
    l1: { hits: c.l1Hits, misses: requests - c.l1Hits },
    l2: { hits: c.l2Hits, misses: c.misses },
    stale: c.staleHits,
    staleByReason: { error: c.staleOnError, timeout: c.staleOnTimeout, throttled: c.staleThrottled },
    coalesced: c.coalesced,
    bypassed: c.bypassed,
    loads: c.loads,
    loadErrors: c.loadErrors,
    avgLoadMs: c.loads === 0 ? 0 : c.loadMsTotal / c.loads,
    discardedLoads: c.discardedLoads,
    unfilledReads: c.unfilledReads,
    refreshes: c.refreshes,
    prefetches: c.prefetches,
    evictions: c.evictions,
    l1Evictions: l1.pressureEvictions,
    decodeErrors: c.decodeErrors,
    l1Entries: l1.entries,
    l1Bytes: l1.bytes,
    l1MaxBytes: l1.maxBytes,
    l1Eviction: l1.eviction,
    l1HitRatio: l1.hitRatio,
    l1HitRatioAt2x: l1.hitRatioAt2x,
  };
}
