/** Metadata key of `@WarmupTask`. */
export const WARMUP_TASK_METADATA = 'vidcache:warmup-task';

/** Name of the warm-up cron job in the SchedulerRegistry. */
export const WARMUP_CRON_JOB = 'vidcache-warmup';

/** Redis keys under `<prefix>:%meta:`: the lock of the replica warming L2, and the marker of its last finished cycle. */
// `{warmup}` is a hash tag: the lock and the done marker share a slot, so one MGET reads both even
// on a Redis Cluster.
export const WARMUP_LOCK_SEGMENTS = ['{warmup}', 'lock'] as const;
export const WARMUP_DONE_SEGMENTS = ['{warmup}', 'done'] as const;

/**
 * How long the "L2 was warmed" marker lasts. A replica starting a cycle within this time of a
 * finished one (cron ticks a little apart, a pod started during a rolling deploy) only fills its own
 * L1 from L2 instead of warming L2 again. `POST /admin/cache/warmup` ignores it.
 */
export const WARMUP_DONE_TTL_MS = 10 * 60_000;

/** How often a follower checks whether the leader has finished. */
export const FOLLOWER_POLL_MS = 50;

/** Reports kept for stats and the admin API. */
export const WARMUP_HISTORY = 20;

/** Failures listed in one report (all are counted). */
export const MAX_REPORTED_FAILURES = 50;
