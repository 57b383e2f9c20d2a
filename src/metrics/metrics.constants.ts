/** Every metric this service exports starts with it (the default process metrics too). */
export const METRIC_PREFIX = 'vidcache_';

/** The names dashboards and alerts rely on. */
export const METRIC = {
  cacheRequests: 'vidcache_cache_requests_total',
  cacheLoads: 'vidcache_cache_loads_total',
  cacheLoadDuration: 'vidcache_cache_load_duration_seconds',
  cacheEvictions: 'vidcache_cache_evictions_total',
  cacheL1PressureEvictions: 'vidcache_cache_l1_pressure_evictions_total',
  cacheL2Errors: 'vidcache_cache_l2_errors_total',
  cacheL2Timeouts: 'vidcache_cache_l2_timeouts_total',
  cacheL2Latency: 'vidcache_cache_l2_latency_seconds',
  cacheL2Status: 'vidcache_cache_l2_status',
  cacheL2PendingEvictions: 'vidcache_cache_l2_pending_evictions',
  busPublished: 'vidcache_cache_bus_published_total',
  busReceived: 'vidcache_cache_bus_received_total',
  busResubscriptions: 'vidcache_cache_bus_resubscriptions_total',
  busResubscribeFailures: 'vidcache_cache_bus_resubscribe_failures_total',
  busRenewals: 'vidcache_cache_bus_renewals_total',
  busHearing: 'vidcache_cache_bus_hearing',
  cacheL1HitRatio: 'vidcache_cache_l1_hit_ratio',
  cacheStale: 'vidcache_cache_stale_total',
  busDeafSeconds: 'vidcache_cache_bus_deaf_seconds_total',
  busMalformed: 'vidcache_cache_bus_malformed_total',
  busEvictionDelay: 'vidcache_cache_bus_eviction_delay_seconds',
  cacheStaleAge: 'vidcache_cache_stale_age_seconds',
  cacheSourceTimeSaved: 'vidcache_cache_source_time_saved_seconds_total',
  cacheBytes: 'vidcache_cache_bytes_total',
  cacheL2EvictionFailures: 'vidcache_cache_l2_eviction_failures_total',
  cacheL2ConnectionsReplaced: 'vidcache_cache_l2_connections_replaced_total',
  cacheL1Bytes: 'vidcache_cache_l1_bytes',
  cacheL1Entries: 'vidcache_cache_l1_entries',
  cacheL1MaxBytes: 'vidcache_cache_l1_max_bytes',
  cacheL1MaxEntries: 'vidcache_cache_l1_max_entries',
  cacheAlerts: 'vidcache_cache_alerts',
  warmupRuns: 'vidcache_warmup_runs_total',
  warmupItems: 'vidcache_warmup_items_total',
  warmupLastDuration: 'vidcache_warmup_last_duration_seconds',
  warmupLastRun: 'vidcache_warmup_last_run_timestamp_seconds',
  httpDuration: 'vidcache_http_request_duration_seconds',
  sourceTimeouts: 'vidcache_source_timeouts_total',
  sourceOutages: 'vidcache_source_outages_total',
  sourceCircuitState: 'vidcache_source_circuit_state',
  sourceCircuitTransitions: 'vidcache_source_circuit_transitions_total',
  sourceShortCircuited: 'vidcache_source_short_circuited_total',
  sourceBulkheadActive: 'vidcache_source_bulkhead_active',
  sourceBulkheadQueued: 'vidcache_source_bulkhead_queue_length',
  sourceBulkheadRejections: 'vidcache_source_bulkhead_rejections_total',
} as const;

/** HTTP latency buckets (seconds): from an L1 hit (well under a millisecond) to a slow analytics query. */
export const HTTP_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Route label of requests that matched no route (404s), so scans of random URLs add no series. */
export const UNMATCHED_ROUTE = 'unmatched';
