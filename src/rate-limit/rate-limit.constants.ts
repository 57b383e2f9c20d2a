/** How often, by default, a replica sends the hits it admitted to Redis and learns the shared counts. */
export const DEFAULT_RATE_LIMIT_SYNC_MS = 50;

/** Bound of one sync call; past it the replica counts alone until a sync succeeds again. */
export const RATE_LIMIT_SYNC_TIMEOUT_MS = 500;

/**
 * How long a replica counts as present after its last sync. While Redis is down, each replica
 * admits `limit / present replicas` per client and window, so that together they stay near the limit.
 */
export const REPLICA_PRESENCE_MS = 120_000;

/** How often a replica renews its presence (and learns how many are present), at most. */
export const PRESENCE_REFRESH_MS = 1_000;

/** Bound of the per-client counters one replica keeps; expired ones are dropped first, then the oldest. */
export const MAX_RATE_LIMIT_COUNTERS = 100_000;

/** The Redis Cluster hash tag shared by every rate-limit key, so that one script syncs them all. */
export const RATE_LIMIT_HASH_TAG = '{rate-limit}';
