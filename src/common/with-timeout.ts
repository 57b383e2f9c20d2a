/** Thrown by {@link withTimeout} when the promise did not settle in time. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Resolves or rejects like `promise`, or rejects with a {@link TimeoutError} after `ms`, whichever
 * comes first. The timer never keeps the process alive, and a late rejection is swallowed.
 *
 * @example
 * await withTimeout(redis.ping(), 500, 'Redis ping');
 */
export function withTimeout<T>(promise: PromiseLike<T>, ms: number, what = 'operation'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
    Promise.resolve(promise).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Waits `ms` without keeping the process alive. */
export const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    if (ms <= 0) resolve();
    else setTimeout(resolve, ms).unref();
  });
