export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly now: () => number;
}

/**
 * Stops calling a dependency after repeated failures, for a cool-down, then lets one probe through.
 *
 * - `closed`: calls go through; `failureThreshold` consecutive failures open it.
 * - `open`: calls are skipped until `cooldownMs` has passed; then the first caller gets the probe.
 * - `half-open`: one probe is running; its success closes the circuit, its failure reopens it.
 *
 * Closing is left to the owner (`close()`), because the cache must replay the evictions it could
 * not apply before it trusts L2 again.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  /** Times the circuit opened since start. */
  opened = 0;

  constructor(private readonly options: CircuitBreakerOptions) {}

  get state(): CircuitState {
    return this.current;
  }

  /** True while calls may go through (closed). */
  get allowsCalls(): boolean {
    return this.current === 'closed';
  }

  /** When open and cooled down: moves to half-open and returns true, once, to the caller that probes. */
  tryStartProbe(): boolean {
    if (this.current !== 'open' || this.options.now() - this.openedAt < this.options.cooldownMs) return false;
    this.current = 'half-open';
    return true;
  }

  recordSuccess(): void {
    if (this.current === 'closed') this.failures = 0;
  }

  /** Returns true when this failure opened the circuit. */
  recordFailure(): boolean {
    if (this.current === 'half-open') return this.open();
    if (this.current === 'open') return false;
    return ++this.failures >= this.options.failureThreshold ? this.open() : false;
  }

  /** Opens the circuit at once (for example when the connection is known to be down). */
  open(): boolean {
    const wasOpen = this.current === 'open';
    this.current = 'open';
    this.openedAt = this.options.now();
    this.failures = 0;
    if (!wasOpen) this.opened++;
    return !wasOpen;
  }

  close(): void {
    this.current = 'closed';
    this.failures = 0;
  }
}
