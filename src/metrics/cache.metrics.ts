import type { Registry } from 'prom-client';
import type { CacheStatsSnapshot, L2Status } from '../cache/index.js';
import { cacheAlerts } from './cache-alerts.js';
import { METRIC } from './metrics.constants.js';
import { mirroredCounter, mirroredGauge, type SeriesValues } from './mirrored-metrics.js';
import { mirroredHistogram } from './mirrored-histogram.js';
import { Snapshot } from './snapshot.js';

const L2_STATUSES: readonly L2Status[] = ['up', 'down', 'disabled'];

type BusCounter = Exclude<keyof NonNullable<CacheStatsSnapshot['bus']>, 'hearing' | 'evictionDelays'>;
const busCount = (stats: CacheStatsSnapshot, counter: BusCounter): ReturnType<SeriesValues> =>
  stats.bus ? [[{}, stats.bus[counter]]] : [];

/**
 * Registers the cache's metrics. Every value is read from `stats()` when Prometheus scrapes
 * (counters as the growth of the cache's own counters), so serving a hit costs nothing here.
 *
 * `vidcache_cache_requests_total` counts each read once, by where it ended: `tier="l1",result="hit"`,
 * `tier="l2",result="hit"`, `tier="none",result="miss"` (loaded from the database) or
 * `tier="none",result="stale"` (no fresh value anywhere, the source failed, a stale copy was served).
 * Hit rate: `sum(rate(...{result=~"hit|stale"}[5m])) / sum(rate(...[5m]))`.
 */
export function registerCacheMetrics(registry: Registry, stats: () => CacheStatsSnapshot): void {
  const snapshot = new Snapshot(stats);
  const read = () => snapshot.get();
  const perNamespace = <T>(fn: (ns: CacheStatsSnapshot['namespaces'][string], name: string) => T[]) =>
    Object.entries(read().namespaces).flatMap(([name, ns]) => fn(ns, name));

  mirroredCounter(
    registry,
    {
      name: METRIC.cacheRequests,
      help: 'Cache reads by namespace, by the tier that answered (l1, l2; none for misses and stale serves) and result',
      labelNames: ['namespace', 'tier', 'result'],
    },
    () =>
      perNamespace((ns, namespace) => [
        [{ namespace, tier: 'l1', result: 'hit' }, ns.l1.hits],
        [{ namespace, tier: 'l2', result: 'hit' }, ns.l2.hits],
        [{ namespace, tier: 'none', result: 'miss' }, ns.l2.misses],
        [{ namespace, tier: 'none', result: 'stale' }, ns.stale],
      ]),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.cacheLoads,
      help: 'Loads from the source (the database) by namespace and result (success, error)',
      labelNames: ['namespace', 'result'],
    },
    () =>
      perNamespace((ns, namespace) => [
        [{ namespace, result: 'success' }, ns.loads],
        [{ namespace, result: 'error' }, ns.loadErrors],
      ]),
  );
  mirroredHistogram(
    registry,
    { name: METRIC.cacheLoadDuration, help: 'Duration of loads from the source, as counted by the cache' },
    () => read().loadDurations,
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.cacheEvictions,
      help: 'Keys evicted on purpose (writes, admin) by namespace',
      labelNames: ['namespace'],
    },
    () => perNamespace((ns, namespace) => [[{ namespace }, ns.evictions]]),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.cacheL1PressureEvictions,
      help: 'L1 entries dropped to stay within its memory or entry limits, by namespace',
      labelNames: ['namespace'],
    },
    () => perNamespace((ns, namespace) => [[{ namespace }, ns.l1Evictions]]),
  );
  mirroredCounter(
    registry,
    { name: METRIC.cacheL2Errors, help: 'Failed Redis (L2) operations, timeouts included' },
    () => [[{}, read().l2.errors]],
  );
  mirroredCounter(
    registry,
    { name: METRIC.cacheL2Timeouts, help: 'Redis (L2) operations that timed out' },
    () => [[{}, read().l2.timeouts]],
  );

  mirroredGauge(
    registry,
    { name: METRIC.cacheL2Latency, help: 'Moving average of Redis round trips, in seconds' },
    () => [[{}, read().l2.latencyMs / 1000]],
  );
  mirroredGauge(
    registry,
    {
      name: METRIC.cacheL2Status,
      help: 'State of L2, 1 for the current one (up: in use; down: skipped by the circuit breaker; disabled: no Redis)',
      labelNames: ['status'],
    },
    () => L2_STATUSES.map((status) => [{ status }, read().l2.status === status ? 1 : 0]),
  );
  mirroredGauge(
    registry,
    {
      name: METRIC.cacheL2PendingEvictions,
      help: 'Evictions that could not reach Redis, kept to be applied before L2 is read again',
    },
    () => [[{}, read().l2.pendingEvictions]],
  );
  // The invalidation bus exists only with Redis; without it these counters stay at 0.
  mirroredCounter(
    registry,
    { name: METRIC.busPublished, help: 'Eviction messages this replica published on the invalidation bus' },
    () => busCount(read(), 'published'),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.busReceived,
      help: 'Eviction messages received from other replicas on the invalidation bus (its own are not counted)',
    },
    () => busCount(read(), 'received'),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.busResubscriptions,
      help: 'Times the bus subscription came back after an interruption (each drops L1: messages may have been missed)',
    },
    () => busCount(read(), 'resubscriptions'),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.busResubscribeFailures,
      help: 'Times the bus could not subscribe again after an interruption (the next reconnection tries again; meanwhile the bus goes deaf and L1 is not served)',
    },
    () => busCount(read(), 'resubscribeFailures'),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.busRenewals,
      help: 'Times a Cluster bus sent its SSUBSCRIBE again because its channel was silent (a subscription can be lost while its connection stays open)',
    },
    () => busCount(read(), 'renewals'),
  );
  mirroredGauge(
    registry,
    {
      name: METRIC.busHearing,
      help: 'Whether this replica hears the invalidation bus (heartbeats arrive; always 1 memory-only); 0: deaf, L1 is not served',
    },
    () => [[{}, read().bus?.hearing === false ? 0 : 1]],
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.busDeafSeconds,
      help: 'Time this replica spent deaf to the invalidation bus (serving no L1)',
    },
    () => busCount(read(), 'deafMs').map(([labels, ms]) => [labels, ms / 1000] as const),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.busMalformed,
      help: 'Messages on the invalidation bus dropped as invalid (not JSON, or not the message schema)',
    },
    () => busCount(read(), 'malformed'),
  );
  mirroredHistogram(
    registry,
    {
      name: METRIC.busEvictionDelay,
      help: "Delay from another replica's publication of an eviction to its application here (the sender's clock, carried in the message)",
    },
    () => read().evictionDelays,
  );
  mirroredHistogram(
    registry,
    {
      name: METRIC.cacheStaleAge,
      help: 'How long past their freshness the stale values served were (served because the source failed or was slow)',
    },
    () => read().staleAges,
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.cacheSourceTimeSaved,
      help: 'Estimated source time hits saved, by namespace: each hit priced at the moving average load duration',
      labelNames: ['namespace'],
    },
    () => perNamespace((ns, namespace) => [[{ namespace }, ns.sourceTimeSavedMs / 1000]]),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.cacheBytes,
      help: 'Bytes read through the cache by namespace and result: served by hits (L1, L2) or loaded from the source (miss); byte hit ratio: hit / (hit + miss)',
      labelNames: ['namespace', 'result'],
    },
    () =>
      perNamespace((ns, namespace) => [
        [{ namespace, result: 'hit' }, ns.hitBytes],
        [{ namespace, result: 'miss' }, ns.missBytes],
      ]),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.cacheL2EvictionFailures,
      help: 'Evictions Redis refused (full, read-only, a script error): old values removed by UNLINK, the eviction replayed',
    },
    () => [[{}, read().l2.evictionFailures]],
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.cacheL2ConnectionsReplaced,
      help: 'Redis connections dropped and remade after repeated timeouts (lost replies)',
    },
    () => [[{}, read().l2.connectionsReplaced]],
  );
  mirroredGauge(registry, { name: METRIC.cacheL1Bytes, help: 'Estimated bytes held in L1' }, () => [
    [{}, read().l1.bytes],
  ]);
  mirroredCounter(
    registry,
    {
      name: METRIC.cacheStale,
      help: 'Stale values served, by reason: the source failed (error), was slower than the soft timeout (timeout), or the key was throttled after a failure (throttled)',
      labelNames: ['namespace', 'reason'],
    },
    () =>
      perNamespace((ns, namespace) =>
        (['error', 'timeout', 'throttled'] as const).map(
          (reason) => [{ namespace, reason }, ns.staleByReason[reason]] as const,
        ),
      ),
  );
  mirroredGauge(
    registry,
    {
      name: METRIC.cacheL1HitRatio,
      help: 'L1 hit ratio per namespace over recent lookups (size: "1x" as it is, "2x" estimated with twice the room)',
      labelNames: ['namespace', 'size'],
    },
    () =>
      perNamespace((ns, namespace) => [
        [{ namespace, size: '1x' }, ns.l1HitRatio],
        [{ namespace, size: '2x' }, ns.l1HitRatioAt2x],
      ]),
  );
  mirroredGauge(registry, { name: METRIC.cacheL1Entries, help: 'Entries held in L1' }, () => [
    [{}, read().l1.entries],
  ]);
  mirroredGauge(registry, { name: METRIC.cacheL1MaxBytes, help: 'L1 byte limit' }, () => [
    [{}, read().l1.maxBytes],
  ]);
  mirroredGauge(registry, { name: METRIC.cacheL1MaxEntries, help: 'L1 entry limit' }, () => [
    [{}, read().l1.maxEntries],
  ]);
  mirroredGauge(
    registry,
    { name: METRIC.cacheAlerts, help: 'Cache alerts currently raised (listed by GET /admin/cache/stats)' },
    () => [[{}, cacheAlerts(read()).length]],
  );
}
