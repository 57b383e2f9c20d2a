/**
 * `Date.now()`, read from the system at most once per `resolutionMs`: every L1 hit checks its
 * entry's expiry, and the system call cost as much as the rest of a hit. The reading is dropped by
 * a timer, so within one stretch of work that never yields to timers (a burst of microtasks, a
 * synchronous loop) time stands still; entries can then be served for at most that long past
 * their expiry. lru-cache's `ttlResolution` makes the same trade.
 *
 * @example const now = coarseClock(); now() === now(); // within the same millisecond
 */
export function coarseClock(resolutionMs = 1): () => number {
  let reading: number | undefined;
  const expire = () => {
    reading = undefined;
  };
  return () => {
    if (reading !== undefined) return reading;
    reading = Date.now();
    setTimeout(expire, resolutionMs).unref();
    return reading;
  };
}
