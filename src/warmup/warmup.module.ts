import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { OpsConfigModule } from '../config/ops.config.js';
import { HealthModule } from '../health/health.module.js';
import { WarmupExplorer } from './warmup.explorer.js';
import { WarmupRegistry } from './warmup.registry.js';
import { WarmupService } from './warmup.service.js';

/**
 * The warm-up core: finds `@WarmupTask` methods, runs them on boot and on `WARMUP_CRON`, and
 * coordinates replicas through a Redis lock. Needs `ScheduleModule.forRoot()` in the root module.
 */
@Module({
  imports: [DiscoveryModule, HealthModule, OpsConfigModule],
  providers: [WarmupRegistry, WarmupExplorer, WarmupService],
  exports: [WarmupService, WarmupRegistry],
})
export class WarmupModule {}
