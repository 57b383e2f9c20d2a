import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { OpsConfigModule } from '../config/ops.config.js';
import { CacheHealthIndicator } from './cache.health.js';
import { DatabaseHealthIndicator } from './database.health.js';
import { GracefulShutdown } from './graceful-shutdown.service.js';
import { HealthController } from './health.controller.js';
import { ReadinessHealthIndicator } from './readiness.health.js';
import { ReadinessState } from './readiness-state.js';

/**
 * `GET /health/live` and `GET /health/ready`, the cache health indicator, the readiness state and
 * graceful shutdown.
 *
 * The database check uses the provider registered under `DATABASE_PROBE` by a global module (the
 * database module); without one, readiness reports the database as down.
 *
 * Deliberately not global: Nest runs `beforeApplicationShutdown` of global modules (the cache)
 * after the others, so the drain happens while the cache's invalidation bus still runs.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), OpsConfigModule],
  controllers: [HealthController],
  providers: [
    ReadinessState,
    GracefulShutdown,
    CacheHealthIndicator,
    DatabaseHealthIndicator,
    ReadinessHealthIndicator,
  ],
  exports: [ReadinessState, CacheHealthIndicator],
})
export class HealthModule {}
