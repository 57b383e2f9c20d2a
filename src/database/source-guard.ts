import { Logger } from '@nestjs/common';
import { CircuitBreaker, type CircuitState } from '../common/circuit-breaker.js';
import { SourceUnavailableError, type SourceUnavailableReason } from '../common/source-unavailable.error.js';
import { Bulkhead, BulkheadRejectedError, type BulkheadStats } from './bulkhead.js';
import { sourceClosed, sourceOpened, sourceProbeFailed } from './database.messages.js';

/** How soon a probe that fired before the breaker's cool-down was over tries again. */
const PROBE_RETRY_MS = 25;

/** How a failed call shows the source is unreachable; undefined: the source answered (with an error). */
export type OutageClassifier = (error: unknown) => 'timeout' | 'connection' | undefined;

export interface SourceGuardOptions {
  /** Name of the source, in errors, logs and metrics (`database`). */
  readonly source: string;
  /** Hard bound of one call: waiting for a slot and running it together. */
  readonly timeoutMs: number;
  /** Longest wait for a bulkhead slot (capped by `timeoutMs`). */
  readonly queueTimeoutMs: number;
  readonly maxConcurrent: number;
  readonly queueLimit: number;
  /** Consecutive outages (timeouts, connection failures) that open the circuit. */
  readonly failureThreshold: number;
  /** How long the open circuit fails calls at once before the guard probes the source. */
  readonly cooldownMs: number;
  readonly classify: OutageClassifier;
  /** A trivial call (`select 1`) that proves the source answers again; bounded by `timeoutMs`. */
  readonly probe: (signal: AbortSignal) => Promise<unknown>;
  readonly now?: () => number;
  readonly logger?: Pick<Logger, 'warn' | 'log'>;
}

export interface SourceGuardStats {
  source: string;
  circuit: CircuitState;
  /** Times the circuit entered each state since start. */
  transitions: Record<CircuitState, number>;
  /** Calls that ran past the hard bound (or the server's statement timeout). */
  timeouts: number;
  /** Calls that failed because the source was unreachable, by how. */
  outages: Record<'timeout' | 'connection', number>;
  /** Calls answered at once because the circuit was open. */
  shortCircuited: number;
  /** Probes run while the circuit was open, and how many failed. */
  probes: { runs: number; failures: number };
  bulkhead: BulkheadStats;
}

/**
 * Every call to a source (the database) goes through here, in this order:
 * 1. an open circuit answers at once with a {@link SourceUnavailableError} (`circuit-open`);
 * 2. the bulkhead gives the call a slot, or turns it away (`bulkhead-full`, `bulkhead-timeout`);
 * 3. the call runs under the hard bound; past it, its signal aborts (the caller drops the
 *    connection) and it fails with `timeout`;
 * 4. a failure the classifier recognises as an outage counts towards opening the circuit and is
 *    rethrown as a {@link SourceUnavailableError} (its `cause` the original); any other error means
 *    the source answered, and is rethrown as it is.
 *
 * While the circuit is open the guard probes the source by itself every cool-down, so it closes
 * again without any traffic; requests never probe, so a dead database sees one query per cool-down.
 */
export class SourceGuard {
  private readonly breaker: CircuitBreaker;
  private readonly bulkhead: Bulkhead;
  private readonly now: () => number;
  private readonly logger: Pick<Logger, 'warn' | 'log'>;
  private probeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private unboundedTasks = 0;
  private readonly counts = {
    transitions: { closed: 0, open: 0, 'half-open': 0 } as Record<CircuitState, number>,
    outages: { timeout: 0, connection: 0 },
    shortCircuited: 0,
    probes: { runs: 0, failures: 0 },
  };

  constructor(private readonly options: SourceGuardOptions) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? new Logger('SourceGuard');
    this.breaker = new CircuitBreaker({
      failureThreshold: options.failureThreshold,
      cooldownMs: options.cooldownMs,
      now: this.now,
    });
    this.bulkhead = new Bulkhead({ maxConcurrent: options.maxConcurrent, maxQueue: options.queueLimit });
  }

  get state(): CircuitState {
    return this.breaker.state;
  }

  /** Seconds a client should wait before retrying: the rest of a cool-down, at least 1. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.options.cooldownMs / 1000));
  }

  /** Runs `call` under the guard (see the class comment). `signal` aborts when the hard bound passes. */
  async run<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.unboundedTasks > 0) return call(new AbortController().signal);
    if (this.breaker.state !== 'closed') {
      this.counts.shortCircuited++;
      throw this.unavailable('circuit-open');
    }
    const started = this.now();
    let release: () => void;
    try {
      release = await this.bulkhead.acquire(Math.min(this.options.queueTimeoutMs, this.options.timeoutMs));
    } catch (error) {
      if (error instanceof BulkheadRejectedError) throw this.unavailable(error.reason);
      throw error;
    }
    try {
      const remaining = this.options.timeoutMs - (this.now() - started);
      const result = await withDeadline(call, remaining, () => this.unavailable('timeout'));
      this.breaker.recordSuccess();
      return result;
    } catch (error) {
      throw this.failed(error);
    } finally {
      release();
    }
  }

  /**
   * Runs `task` with the guard out of the way: its calls have no hard bound, no bulkhead and no
   * circuit. For start-up work (migrations, seeding) that runs before any request and may rightly
   * take longer than a request may wait.
   */
  async unbounded<T>(task: () => Promise<T>): Promise<T> {
    this.unboundedTasks++;
    try {
      return await task();
    } finally {
      this.unboundedTasks--;
    }
  }

  /**
   * Watches a call that is already bounded elsewhere (a statement inside a transaction, bounded by
   * the driver's query timeout): outages count towards the circuit and come back as
   * {@link SourceUnavailableError}, like those of {@link run}.
   */
  async observe<T>(call: Promise<T>): Promise<T> {
    try {
      const result = await call;
      this.breaker.recordSuccess();
      return result;
    } catch (error) {
      throw this.failed(error);
    }
  }

  stats(): SourceGuardStats {
    return {
      source: this.options.source,
      circuit: this.breaker.state,
      transitions: { ...this.counts.transitions },
      timeouts: this.counts.outages.timeout,
      outages: { ...this.counts.outages },
      shortCircuited: this.counts.shortCircuited,
      probes: { ...this.counts.probes },
      bulkhead: this.bulkhead.stats(),
    };
  }

  /** Stops probing (at shutdown). Calls still go through the circuit as it stands. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.probeTimer);
  }

  private unavailable(reason: SourceUnavailableReason, cause?: unknown): SourceUnavailableError {
    const retryAfter = reason.startsWith('bulkhead') ? 1 : this.retryAfterSeconds;
    return new SourceUnavailableError(this.options.source, reason, retryAfter, { cause });
  }

  /** Counts an outage (and may open the circuit); returns the error the caller should see. */
  private failed(error: unknown): unknown {
    if (error instanceof SourceUnavailableError) {
      if (error.reason === 'timeout') this.recordOutage('timeout');
      return error;
    }
    const outage = this.options.classify(error);
    if (outage === undefined) {
      // The source answered, if only with an error (a duplicate key, a bad value): it is up.
      this.breaker.recordSuccess();
      return error;
    }
    this.recordOutage(outage);
    return this.unavailable(outage, error);
  }

  private recordOutage(outage: 'timeout' | 'connection'): void {
    this.counts.outages[outage]++;
    if (this.breaker.recordFailure()) this.opened();
  }

  private opened(): void {
    this.counts.transitions.open++;
    this.logger.warn(sourceOpened(this.options.source, this.options.cooldownMs));
    this.scheduleProbe();
  }

  private scheduleProbe(delayMs = this.options.cooldownMs): void {
    if (this.stopped) return;
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => void this.probe(), delayMs);
    // An open circuit never keeps the process alive on its own.
    this.probeTimer.unref();
  }

  /** One probe: its success closes the circuit, its failure opens it for another cool-down. */
  private async probe(): Promise<void> {
    if (this.stopped) return;
    if (!this.breaker.tryStartProbe()) {
      // The breaker reads the wall clock and timers run on a monotonic one: a timer can fire a
      // moment before the breaker agrees the cool-down is over. Try again shortly, never give up.
      if (this.breaker.state === 'open') this.scheduleProbe(PROBE_RETRY_MS);
      return;
    }
    this.counts.transitions['half-open']++;
    this.counts.probes.runs++;
    try {
      await withDeadline(this.options.probe, this.options.timeoutMs, () => this.unavailable('timeout'));
      this.breaker.close();
      this.counts.transitions.closed++;
      this.logger.log(sourceClosed(this.options.source));
    } catch (error) {
      this.counts.probes.failures++;
      this.logger.warn(sourceProbeFailed(this.options.source, error));
      if (this.breaker.recordFailure()) this.opened();
    }
  }
}

/**
 * Runs `call` with a signal that aborts after `ms`; rejects with `onTimeout()` at that moment, without
 * waiting for the call to notice. A late result or error of the call is dropped.
 */
function withDeadline<T>(
  call: (signal: AbortSignal) => Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    if (ms <= 0) {
      controller.abort();
      reject(onTimeout());
      return;
    }
    const timer = setTimeout(() => {
      const error = onTimeout();
      controller.abort(error);
      reject(error);
    }, ms);
    timer.unref();
    let running: Promise<T>;
    try {
      running = call(controller.signal);
    } catch (error) {
      running = Promise.reject(error as Error);
    }
    running.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        // Passed on as it is: wrapping would lose the `code` the classifier reads, and Node's own
        // errors are not `instanceof Error` in a sandboxed realm (a test runner's).
        reject(error);
      },
    );
  });
}
