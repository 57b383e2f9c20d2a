/** Why a call to a source (the database) was not answered. */
export type SourceUnavailableReason =
  /** The source's circuit breaker is open: the call was not attempted. */
  | 'circuit-open'
  /** Too many calls were already waiting for a slot of the source's bulkhead. */
  | 'bulkhead-full'
  /** The call waited for a bulkhead slot longer than the queue allows. */
  | 'bulkhead-timeout'
  /** The call did not finish within the hard bound (acquire, connect and query together). */
  | 'timeout'
  /** The connection failed: refused, reset, terminated by the server, or the server is shutting down. */
  | 'connection';

/**
 * A source could not answer, through no fault of the request: the database is down, stalled,
 * saturated or known to be down. The HTTP layer answers it with `503` and `Retry-After`; the cache
 * treats it as a source failure (stale-if-error applies).
 *
 * Drizzle wraps driver errors in its own error (as `cause`), so look it up with
 * {@link findSourceUnavailable} rather than `instanceof` on the error you caught.
 */
export class SourceUnavailableError extends Error {
  override readonly name = 'SourceUnavailableError';

  constructor(
    /** Which source: `database`. */
    readonly source: string,
    readonly reason: SourceUnavailableReason,
    /** Seconds after which a retry has a chance: the breaker's cool-down. */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(`${source} unavailable (${reason})`, options);
  }
}

/** The {@link SourceUnavailableError} that `error` is or wraps (through `cause`), if any. */
export function findSourceUnavailable(error: unknown): SourceUnavailableError | undefined {
  // Walks any object with a `cause`: errors thrown by Node itself belong to another realm than the
  // application's code when a test runner sandboxes its modules.
  for (
    let current: unknown = error, depth = 0;
    typeof current === 'object' && current !== null && depth < 8;
    depth++
  ) {
    if (current instanceof SourceUnavailableError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
