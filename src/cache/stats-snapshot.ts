import {
  BucketHistogram,
  EVICTION_DELAY_BUCKETS,
  hitRate,
  namespaceSnapshot,
  type NamespaceStatsSnapshot,
} from './cache-stats.js';
import type { CacheStack } from './cache-stack.js';
import type { CircuitState } from '../common/circuit-breaker.js';
import { l2StatusOf, type L2Status } from './guarded-l2.js';

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
  l1: {
    entries: number;
    bytes: number;
    maxBytes: number;
    maxEntries: number;
    /** Entries written since start, and the ones the eviction policy pushed out (memory pressure). */
    writes: number;
    pressureEvictions: number;
  };
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
    /** Evictions Redis refused (full, read-only, a script error) or did not get to its replicas in time. */
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
        resubscribeFailures: number;
        /** SSUBSCRIBEs sent again on a Cluster because the channel was silent. */
        renewals: number;
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
}

/** Memory-only there is no bus: its delays stay an empty histogram with the same buckets. */
const NO_BUS_DELAYS = new BucketHistogram(EVICTION_DELAY_BUCKETS);

/** A snapshot of every counter of the stack (the alerts they raise are `metrics/cache-alerts.ts`). */
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
  return {
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
      writes: l1Writes,
      pressureEvictions,
    },
    l2: {
      status: l2StatusOf(l2),
      circuit: l2 ? l2.circuit : 'disabled',
      latencyMs: l2?.counters.latencyMs ?? 0,
      reads: l2?.counters.reads ?? 0,
      writes: l2?.counters.writes ?? 0,
      errors: l2?.counters.errors ?? 0,
      timeouts: l2?.counters.timeouts ?? 0,
      circuitOpened: l2?.breaker.opened ?? 0,
      pendingEvictions: l2?.pendingEvictions ?? 0,
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
  };
}
