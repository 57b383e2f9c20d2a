import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { opsConfig, OpsConfigModule, type OpsConfig } from '../config/ops.config.js';
import { HealthModule } from '../health/health.module.js';
import { PREDICTIVE_WARMING_OPTIONS, PredictiveWarmer } from './predictive-warmer.js';
import { WarmupExplorer } from './warmup.explorer.js';
import { WarmupRegistry } from './warmup.registry.js';
import { WarmupService } from './warmup.service.js';

/**
 * The warm-up core: finds `@WarmupTask` methods, runs them on boot and on `WARMUP_CRON`, and
 * coordinates replicas through a Redis lock; and predictive warming (`PredictiveWarmer`). Needs `ScheduleModule.forRoot()` in the root module.
 */
@Module({
  imports: [DiscoveryModule, HealthModule, OpsConfigModule],
  providers: [
    WarmupRegistry,
    WarmupExplorer,
    WarmupService,
    PredictiveWarmer,
    {
      provide: PREDICTIVE_WARMING_OPTIONS,
      inject: [opsConfig.KEY],
      useFactory: (ops: OpsConfig) => ({
        enabled: ops.predictiveWarming,
        maxPerSecond: ops.predictiveMaxPerSecond,
      }),
    },
  ],
  exports: [WarmupService, WarmupRegistry, PredictiveWarmer],
})
export class WarmupModule {}
