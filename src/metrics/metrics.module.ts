import { Module } from '@nestjs/common';
import { OpsConfigModule } from '../config/ops.config.js';
import { WarmupModule } from '../warmup/warmup.module.js';
import { CacheAlertMonitor } from './cache-alert.monitor.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/**
 * `GET /metrics` (Prometheus text), HTTP request timing, and the periodic cache alert check.
 * Needs `ScheduleModule.forRoot()` in the root module.
 */
@Module({
  imports: [WarmupModule, OpsConfigModule],
  controllers: [MetricsController],
  providers: [MetricsService, CacheAlertMonitor],
  exports: [MetricsService],
})
export class MetricsModule {}
