import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { HybridCacheService } from '../cache/index.js';
import { opsConfig, type OpsConfig } from '../config/ops.config.js';
import { cacheAlerts } from './cache-alerts.js';

const INTERVAL_NAME = 'vidcache-cache-alerts';

/**
 * Checks the cache's alerts (hit rate, L2 latency and state, eviction rate, L1 memory) every
 * `ALERT_CHECK_INTERVAL_MS` and logs each raised one as a warning, so log-based alerting sees them
 * as well as `GET /admin/cache/stats` and the `vidcache_cache_alerts` gauge.
 */
@Injectable()
export class CacheAlertMonitor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CacheAlerts');
  private raised = 0;

  constructor(
    private readonly cache: HybridCacheService,
    private readonly scheduler: SchedulerRegistry,
    @Inject(opsConfig.KEY) private readonly ops: Pick<OpsConfig, 'alertCheckIntervalMs'>,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => this.check(), this.ops.alertCheckIntervalMs);
    timer.unref();
    this.scheduler.addInterval(INTERVAL_NAME, timer);
  }

  beforeApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
  }

  /** Logs the current alerts (and once when they clear); returns them. */
  check(): string[] {
    const alerts = cacheAlerts(this.cache.stats());
    for (const alert of alerts) this.logger.warn(`Cache alert: ${alert}`);
    if (alerts.length === 0 && this.raised > 0) this.logger.log('Cache alerts cleared');
    this.raised = alerts.length;
    return alerts;
  }
}
