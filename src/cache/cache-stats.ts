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
  /** Bytes served by hits (L1, L2) and by loads from the source, for the byte hit ratio. */
  hitBytes = 0;
  missBytes = 0;
  /** Source time saved by hits, as settled by {@link settleTimeSaved}, in ms. */
  savedMsSettled = 0;
  /** Hits already priced into `savedMsSettled`. */
  hitsSettled = 0;
  /** Moving average of load durations (ms): the price of one hit. */
  loadMsAverage = 0;
}

/**
 * Source time saved by hits: each hit saved one load, priced at the moving average load duration.
 * Priced lazily (when a load changes the average, and when read), so a hit costs nothing more
 * than its counter; the total only grows, as a Prometheus counter must.
 */
export function settleTimeSaved(c: NamespaceCounters): number {
  const hits = c.l1Hits + c.l2Hits;
  c.savedMsSettled += (hits - c.hitsSettled) * c.loadMsAverage;
  c.hitsSettled = hits;
  return c.savedMsSettled;
}

/** A load took `ms`: hits so far are priced at the old average, later ones at the new. */
export function observeLoadMs(c: NamespaceCounters, ms: number): void {
  settleTimeSaved(c);
  c.loadMsTotal += ms;
  c.loadMsAverage = c.loadMsAverage === 0 ? ms : c.loadMsAverage * 0.9 + ms * 0.1;
}

/** Upper bounds (seconds) of the load-duration histogram buckets. */
export const LOAD_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Upper bounds (seconds) of the stale-age histogram: how long past its freshness a served value was. */
export const STALE_AGE_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

/** Upper bounds (seconds) of the eviction-delay histogram: publication on one replica to application on another. */
export const EVICTION_DELAY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** A histogram counted with plain increments (exported as it is by the metrics module). */
export class BucketHistogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly buckets: readonly number[]) {
    this.counts = Array.from({ length: buckets.length + 1 }, () => 0);
  }

  observe(seconds: number): void {
    let i = 0;
    while (i < this.buckets.length && seconds > this.buckets[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  /** A copy, for a snapshot. */
  snapshot(): { buckets: readonly number[]; counts: readonly number[]; sum: number; count: number } {
    return { buckets: this.buckets, counts: [...this.counts], sum: this.sum, count: this.count };
  }
}

export class LoadDurationHistogram extends BucketHistogram {
  constructor() {
    super(LOAD_DURATION_BUCKETS);
  }
}

export class L2Counters {
  reads = 0;
  writes = 0;
  errors = 0;
  timeouts = 0;
  /** Evictions Redis refused (full, read-only, a script error) or did not get to its replicas in time. */
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
  /** Share of the bytes read that hits served (L1 and L2), beside the share of requests (`hitRate`). */
  byteHitRate: number;
  hitBytes: number;
  missBytes: number;
  /** Estimated time the source would have spent on what hits served: hits × moving average load duration. */
  sourceTimeSavedMs: number;
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
    byteHitRate: hitRate(c.hitBytes, c.hitBytes + c.missBytes),
    hitBytes: c.hitBytes,
    missBytes: c.missBytes,
    sourceTimeSavedMs: settleTimeSaved(c),
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
