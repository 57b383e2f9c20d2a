/** Why the bulkhead turned a call away. */
export type BulkheadRejection = 'bulkhead-full' | 'bulkhead-timeout';

/** Thrown by {@link Bulkhead.acquire} when no slot could be had. */
export class BulkheadRejectedError extends Error {
  override readonly name = 'BulkheadRejectedError';

  constructor(readonly reason: BulkheadRejection) {
    super(reason === 'bulkhead-full' ? 'bulkhead queue is full' : 'bulkhead queue wait timed out');
  }
}

export interface BulkheadOptions {
  /** Calls that may run at once. */
  readonly maxConcurrent: number;
  /** Calls that may wait for a slot; one more is rejected at once. */
  readonly maxQueue: number;
}

export interface BulkheadStats {
  active: number;
  queued: number;
  rejections: Record<BulkheadRejection, number>;
}

interface Waiter {
  grant(release: () => void): void;
  timer: NodeJS.Timeout;
}

/**
 * Bounds the calls running at once against one dependency, with a bounded queue whose waiters give up
 * after a deadline: a burst over thousands of keys waits its turn instead of opening every
 * connection, and a caller that cannot get a slot in time learns it quickly instead of piling up.
 *
 * (The usual promise limiters queue without bound and cannot time a waiter out, which is the whole
 * point here.)
 *
 * @example
 * const release = await bulkhead.acquire(1_000);
 * try { return await query(); } finally { release(); }
 */
export class Bulkhead {
  private active = 0;
  private readonly queue: Waiter[] = [];
  private readonly rejections: Record<BulkheadRejection, number> = {
    'bulkhead-full': 0,
    'bulkhead-timeout': 0,
  };

  constructor(private readonly options: BulkheadOptions) {}

  /**
   * Resolves with a release function once a slot is free (at once if one is), or rejects with a
   * {@link BulkheadRejectedError}: at once when the queue is full, after `waitMs` when no slot came.
   * Call the release function exactly once (extra calls are ignored).
   */
  acquire(waitMs: number): Promise<() => void> {
    if (this.active < this.options.maxConcurrent) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.options.maxQueue || waitMs <= 0) {
      return Promise.reject(
        this.reject(this.queue.length >= this.options.maxQueue ? 'bulkhead-full' : 'bulkhead-timeout'),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(this.reject('bulkhead-timeout'));
        }, waitMs),
      };
      // A waiter never keeps the process alive on its own.
      waiter.timer.unref();
      this.queue.push(waiter);
    });
  }

  stats(): BulkheadStats {
    return { active: this.active, queued: this.queue.length, rejections: { ...this.rejections } };
  }

  private reject(reason: BulkheadRejection): BulkheadRejectedError {
    this.rejections[reason]++;
    return new BulkheadRejectedError(reason);
  }

  /** A release function that hands the slot to the first waiter, or frees it. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) {
        clearTimeout(next.timer);
        // The slot passes straight on: `active` does not change.
        next.grant(this.releaser());
      } else {
        this.active--;
      }
    };
  }
}
