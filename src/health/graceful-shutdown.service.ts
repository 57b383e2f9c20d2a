import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { delay } from '../common/with-timeout.js';
import { opsConfig, type OpsConfig } from '../config/ops.config.js';
import { drainFinished, drainStarted } from './health.messages.js';
import { ReadinessState } from './readiness-state.js';

/**
 * Graceful shutdown (SIGTERM, through `app.enableShutdownHooks()`), in this order:
 * 1. readiness turns 503, so Kubernetes takes the pod out of its Service's endpoints;
 * 2. for `SHUTDOWN_DRAIN_MS` the server keeps serving: requests in flight finish, and requests that
 *    still arrive while endpoints propagate are served rather than refused;
 * 3. Nest then closes the HTTP server (Fastify waits for requests in flight), and the modules close
 *    their connections in `onApplicationShutdown` (the cache its Redis, the database its pool).
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');

  constructor(
    private readonly readiness: ReadinessState,
    @Inject(opsConfig.KEY) private readonly ops: Pick<OpsConfig, 'shutdownDrainMs'>,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    this.readiness.markShuttingDown();
    if (this.ops.shutdownDrainMs <= 0) return;
    this.logger.log(drainStarted(this.ops.shutdownDrainMs));
    await delay(this.ops.shutdownDrainMs);
    this.logger.log(drainFinished());
  }
}
