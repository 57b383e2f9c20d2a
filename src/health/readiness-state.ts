import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { opsConfig, type OpsConfig } from '../config/ops.config.js';
import { warmupWaitTimedOut } from './health.messages.js';

export type WarmupReadiness = 'pending' | 'done' | 'timed-out';

/**
 * What this replica's readiness depends on besides its dependencies: the first warm-up (waited for
 * at most `WARMUP_READY_TIMEOUT_MS` from start-up) and shutdown (once begun, never ready again).
 *
 * The warm-up service calls {@link markWarmupDone} after its first run; graceful shutdown calls
 * {@link markShuttingDown} before it drains.
 */
@Injectable()
export class ReadinessState implements OnApplicationShutdown {
  private readonly logger = new Logger('Readiness');
  private warmupState: WarmupReadiness = 'pending';
  private shuttingDown = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private settle!: () => void;
  private readonly settled = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(@Inject(opsConfig.KEY) ops: Pick<OpsConfig, 'warmupReadyTimeoutMs'>) {
    if (ops.warmupReadyTimeoutMs <= 0) {
      this.warmupState = 'timed-out';
      this.settle();
      return;
    }
    this.timer = setTimeout(() => {
      if (this.warmupState !== 'pending') return;
      this.warmupState = 'timed-out';
      this.logger.warn(warmupWaitTimedOut(ops.warmupReadyTimeoutMs));
      this.settle();
    }, ops.warmupReadyTimeoutMs).unref();
  }

  /** The first warm-up has finished (whatever its result). */
  markWarmupDone(): void {
    if (this.warmupState === 'done') return;
    this.warmupState = 'done';
    clearTimeout(this.timer);
    this.settle();
  }

  /** Shutdown has begun: readiness turns 503 for good. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get warmup(): WarmupReadiness {
    return this.warmupState;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Whether readiness still waits for the first warm-up. */
  get waitsForWarmup(): boolean {
    return this.warmupState === 'pending';
  }

  /** Resolves once the first warm-up is done or readiness stopped waiting for it. */
  whenWarmupSettled(): Promise<void> {
    return this.settled;
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
  }
}
