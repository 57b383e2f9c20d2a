import {
  ALERT_THRESHOLDS,
  BucketHistogram,
  EVICTION_DELAY_BUCKETS,
  hitRate,
  namespaceSnapshot,
  type NamespaceStatsSnapshot,
} from './cache-stats.js';
import type { CacheStack } from './cache-stack.js';
import type { CircuitState } from '../common/circuit-breaker.js';
import type { L2Status } from './guarded-l2.js';

type HistogramSnapshot = ReturnType<BucketHistogram['snapshot']>;

export interface CacheStatsSnapshot {
  overall: {
    hitRate: number;
    /** Share of bytes read that hits served, beside the share of requests (`hitRate`). */
    byteHitRate: number;
    requests: number;
    hits: number;
    misses: number;
    stale: number;
    loads: number;
    /** Estimated source time hits saved (per namespace: hits × moving average load duration), in ms. */
    sourceTimeSavedMs: number;
  };
  namespaces: Record<string, NamespaceStatsSnapshot>;
  l1: { entries: number; bytes: number; maxBytes: number; maxEntries: number };
  l2: {
    status: L2Status;
    circuit: CircuitState | 'disabled';
    latencyMs: number;
    reads: number;
    writes: number;
    errors: number;
    timeouts: number;
    circuitOpened: number;
    pendingEvictions: number;
    /** Evictions Redis refused (full, read-only, a script error). */
    evictionFailures: number;
    connectionsReplaced: number;
    lastError: string | undefined;
    /** Why L2 is out of service, while it is. */
    reason: string | undefined;
  };
  bus:
    | {
        published: number;
        received: number;
        malformed: number;
        resubscriptions: number;
        heartbeatErrors: number;
        gaps: number;
        /** Whether this replica hears evictions now (else it serves no L1). */
        hearing: boolean;
        deafPeriods: number;
        deafMs: number;
      }
    | undefined;
  /** Seconds from another replica's publication of an eviction to its application here (empty memory-only). */
  evictionDelays: HistogramSnapshot;
  inFlight: number;
  loadDurations: HistogramSnapshot;
  /** Seconds past their freshness of the stale values served. */
  staleAges: HistogramSnapshot;
  alerts: string[];
}

/** Memory-only there is no bus: its delays stay an empty histogram with the same buckets. */
const NO_BUS_DELAYS = new BucketHistogram(EVICTION_DELAY_BUCKETS);

/** A snapshot of every counter of the stack, with the alerts they raise. */
export function statsSnapshot(stack: CacheStack): CacheStatsSnapshot {
  const usage = stack.l1.usage();
  const namespaces: Record<string, NamespaceStatsSnapshot> = {};
  let hits = 0;
  let misses = 0;
  let stale = 0;
  let loads = 0;
  let l1Writes = 0;
  let pressureEvictions = 0;
  let hitBytes = 0;
  let missBytes = 0;
  let sourceTimeSavedMs = 0;
  for (const ns of stack.namespaces.all()) {
    const slice = usage.namespaces[ns.name]!;
    namespaces[ns.name] = namespaceSnapshot(ns.counters, slice);
    hits += ns.counters.l1Hits + ns.counters.l2Hits;
    stale += ns.counters.staleHits;
    misses += ns.counters.misses + ns.counters.coalesced;
    loads += ns.counters.loads;
    l1Writes += ns.counters.l1Writes;
    pressureEvictions += slice.pressureEvictions;
    hitBytes += namespaces[ns.name]!.hitBytes;
    missBytes += namespaces[ns.name]!.missBytes;
    sourceTimeSavedMs += namespaces[ns.name]!.sourceTimeSavedMs;
  }
  const requests = hits + stale + misses;
  const { l2, bus, histogram } = stack;
  const snapshot: CacheStatsSnapshot = {
    overall: {
      hitRate: hitRate(hits + stale, requests),
      byteHitRate: hitRate(hitBytes, hitBytes + missBytes),
      requests,
      hits,
      misses,
      stale,
      loads,
      sourceTimeSavedMs,
    },
    namespaces,
    l1: {
      entries: usage.entries,
      bytes: usage.bytes,
      maxBytes: stack.l1.maxBytes,
      maxEntries: stack.l1.maxEntries,
    },
    l2: {
      status: l2 ? l2.status : 'disabled',
      circuit: l2 ? l2.circuit : 'disabled',
      latencyMs: l2?.counters.latencyMs ?? 0,
      reads: l2?.counters.reads ?? 0,
      writes: l2?.counters.writes ?? 0,
      errors: l2?.counters.errors ?? 0,
      timeouts: l2?.counters.timeouts ?? 0,
      circuitOpened: l2?.breaker.opened ?? 0,
      pendingEvictions: l2?.pending.size ?? 0,
      evictionFailures: l2?.counters.evictionFailures ?? 0,
      connectionsReplaced: l2?.counters.connectionsReplaced ?? 0,
      lastError: l2?.counters.lastError,
      reason: l2 && l2.status !== 'up' ? l2.lastFailure : undefined,
    },
    bus: bus ? { ...bus.counters, hearing: bus.hears() } : undefined,
    evictionDelays: (bus?.evictionDelays ?? NO_BUS_DELAYS).snapshot(),
    inFlight: stack.flights.size,
    loadDurations: histogram.snapshot(),
    staleAges: stack.staleAges.snapshot(),
    alerts: [],
  };
  snapshot.alerts = alerts(snapshot, l1Writes, pressureEvictions);
  return snapshot;
}

function alerts(s: CacheStatsSnapshot, l1Writes: number, pressureEvictions: number): string[] {
  const list: string[] = [];
  const t = ALERT_THRESHOLDS;
  if (s.overall.requests >= t.minRequestsForHitRate && s.overall.hitRate < t.minHitRate) {
    list.push(`hit rate ${(s.overall.hitRate * 100).toFixed(1)}% is under ${t.minHitRate * 100}%`);
  }
  if (s.l2.status === 'down') list.push(`L2 (Redis) is down: serving from L1 and the source`);
  if (s.bus && !s.bus.hearing) list.push(`the invalidation bus is deaf: L1 is not served`);
  if (s.l2.latencyMs > t.maxL2LatencyMs) {
    list.push(`L2 latency ${s.l2.latencyMs.toFixed(1)} ms is over ${t.maxL2LatencyMs} ms`);
  }
  if (l1Writes > 0 && pressureEvictions / l1Writes > t.maxEvictionRate) {
    list.push(
      `L1 eviction rate ${((pressureEvictions / l1Writes) * 100).toFixed(1)}% is over ${t.maxEvictionRate * 100}%`,
    );
  }
  if (s.l1.bytes > s.l1.maxBytes * t.maxL1MemoryRatio) {
    list.push(`L1 memory ${s.l1.bytes} bytes is over ${t.maxL1MemoryRatio * 100}% of ${s.l1.maxBytes}`);
  }
  return list;
}
