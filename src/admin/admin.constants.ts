/** How long an admin invalidation waits for every other replica to confirm it applied it. */
export const REPLICA_CONFIRM_TIMEOUT_MS = 2_000;
/** Suggested retry delay of a 503 answered when some replica did not confirm in time. */
export const RETRY_AFTER_SECONDS = 1;
