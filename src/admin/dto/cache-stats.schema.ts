import type { SchemaObject } from '@nestjs/swagger';
import type { CacheStatsSnapshot } from '../../cache/index.js';
import type { PredictiveWarmingStats } from '../../warmup/predictive-warmer.js';
import type { WarmupReport, WarmupStatus } from '../../warmup/warmup.types.js';

// The OpenAPI schemas of `GET /admin/cache/stats` and of a warm-up report. Each `properties` object is
// a record of the TypeScript type's keys, so a field added to, renamed in or removed from it fails the
// build until the document says so too.

type Snapshot = CacheStatsSnapshot;
type Properties<T> = Record<keyof T, SchemaObject>;

const count: SchemaObject = { type: 'integer', minimum: 0 };
const ratio: SchemaObject = { type: 'number', minimum: 0, maximum: 1 };
const ms: SchemaObject = { type: 'number', minimum: 0, description: 'milliseconds' };
const object = <T>(properties: Properties<T>, description?: string): SchemaObject => ({
  type: 'object',
  properties,
  ...(description === undefined ? {} : { description }),
});

const tier = object<Snapshot['namespaces'][string]['l1']>({ hits: count, misses: count });

const namespace = object<Snapshot['namespaces'][string]>({
  hitRate: ratio,
  requests: count,
  l1: tier,
  l2: tier,
  stale: count,
  staleByReason: object<Snapshot['namespaces'][string]['staleByReason']>({
    error: count,
    timeout: count,
    throttled: count,
  }),
  coalesced: count,
  bypassed: count,
  loads: count,
  loadErrors: count,
  avgLoadMs: ms,
  discardedLoads: count,
  unfilledReads: count,
  refreshes: count,
  prefetches: count,
  evictions: count,
  l1Evictions: count,
  decodeErrors: count,
  l1Entries: count,
  l1Bytes: count,
  l1MaxBytes: count,
  l1Eviction: { type: 'string', enum: ['tinylfu', 'lru'] },
  l1HitRatio: ratio,
  l1HitRatioAt2x: ratio,
  byteHitRate: { ...ratio, description: 'Share of the bytes read that hits served' },
  hitBytes: { ...count, description: 'Bytes served by hits' },
  missBytes: { ...count, description: 'Bytes loaded by misses' },
  sourceTimeSavedMs: { ...ms, description: 'Estimated source time the hits avoided' },
});

const histogram = (description: string): SchemaObject =>
  object<Snapshot['loadDurations']>(
    {
      buckets: { type: 'array', items: { type: 'number' }, description: 'Upper bounds, in seconds' },
      counts: { type: 'array', items: count },
      sum: { type: 'number' },
      count,
    },
    description,
  );

/** `POST /admin/cache/warmup`, and each report in the stats. */
export const WARMUP_REPORT_SCHEMA = object<WarmupReport>({
  id: { type: 'string' },
  trigger: { type: 'string', enum: ['boot', 'cron', 'manual'] },
  startedAt: { type: 'string', format: 'date-time' },
  durationMs: ms,
  role: { type: 'string', enum: ['leader', 'follower', 'memory-only'] },
  skipped: { type: 'boolean', description: 'Another replica warmed L2 in this cycle' },
  result: { type: 'string', enum: ['success', 'partial', 'failed', 'skipped'] },
  items: count,
  succeeded: count,
  failedCount: count,
  failed: {
    type: 'array',
    description: 'The first failures',
    items: object({ task: { type: 'string' }, item: { type: 'string' }, error: { type: 'string' } }),
  },
  leader: object<NonNullable<WarmupReport['leader']>>(
    { id: { type: 'string', nullable: true }, finished: { type: 'boolean' }, waitedMs: ms },
    'For a follower: the leader’s cycle',
  ),
  lockError: {
    type: 'string',
    description: 'Redis is configured but its lock failed (this error): the replica warmed alone',
  },
  aborted: { type: 'boolean', description: 'Shutdown stopped the run' },
});

const warmup = object<WarmupStatus>({
  running: { type: 'boolean' },
  last: { ...WARMUP_REPORT_SCHEMA, nullable: true },
  history: { type: 'array', items: WARMUP_REPORT_SCHEMA, description: 'Most recent first' },
  runs: object<WarmupStatus['runs']>({ success: count, partial: count, failed: count, skipped: count }),
  items: object<WarmupStatus['items']>({ succeeded: count, failed: count }),
});

const predictive = object<PredictiveWarmingStats>({
  enabled: { type: 'boolean' },
  transitions: count,
  predictions: count,
  preloads: count,
  preloadErrors: count,
  skippedWarm: count,
  skippedBudget: count,
});

/** `GET /admin/cache/stats`: the cache's snapshot, the warm-up's state and predictive warming. */
export const CACHE_STATS_SCHEMA: SchemaObject = object<
  Snapshot & { alerts: unknown; warmup: unknown; predictive: unknown }
>({
  overall: object<Snapshot['overall']>({
    hitRate: ratio,
    byteHitRate: { ...ratio, description: 'Share of the bytes read that hits served' },
    sourceTimeSavedMs: { ...ms, description: 'Estimated source time the hits avoided' },
    requests: count,
    hits: count,
    misses: count,
    stale: count,
    loads: count,
  }),
  namespaces: { type: 'object', additionalProperties: namespace, description: 'By namespace name' },
  l1: object<Snapshot['l1']>({
    entries: count,
    bytes: count,
    maxBytes: count,
    maxEntries: count,
    writes: { ...count, description: 'Entries written since start' },
    pressureEvictions: { ...count, description: 'Entries the eviction policy pushed out' },
  }),
  l2: object<Snapshot['l2']>({
    status: { type: 'string', enum: ['up', 'down', 'disabled'] },
    circuit: { type: 'string', enum: ['closed', 'open', 'half-open', 'disabled'] },
    latencyMs: ms,
    reads: count,
    writes: count,
    errors: count,
    timeouts: count,
    circuitOpened: count,
    pendingEvictions: count,
    evictionFailures: count,
    connectionsReplaced: count,
    lastError: { type: 'string' },
    reason: { type: 'string', description: 'Why L2 is out of service, while it is' },
  }),
  bus: object<NonNullable<Snapshot['bus']>>(
    {
      published: count,
      received: count,
      malformed: count,
      resubscriptions: count,
      resubscribeFailures: count,
      renewals: count,
      heartbeatErrors: count,
      gaps: count,
      hearing: { type: 'boolean', description: 'Whether this replica hears evictions now' },
      deafPeriods: count,
      deafMs: ms,
    },
    'The invalidation bus; absent without Redis',
  ),
  inFlight: count,
  loadDurations: histogram('Durations of source loads, in seconds'),
  staleAges: histogram('Seconds past their freshness of the stale values served'),
  evictionDelays: histogram(
    'Seconds from another replica’s publication of an eviction to its application here',
  ),
  alerts: { type: 'array', items: { type: 'string' } },
  warmup,
  predictive,
});
