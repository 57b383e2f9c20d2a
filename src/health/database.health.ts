import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { opsConfig, type OpsConfig } from '../config/ops.config.js';
import { DATABASE_PROBE, HEALTH_KEY, type DatabaseHealthProbe } from './health.constants.js';
import { databaseCircuitOpen, noDatabaseProbe } from './health.messages.js';

/**
 * The database answers a ping within `HEALTH_CHECK_TIMEOUT_MS`, and its circuit breaker is closed.
 * While the circuit is open (the database is known to be down) it is down at once, without a ping;
 * the breaker probes by itself and closes, and readiness follows. Without a registered probe: down.
 */
@Injectable()
export class DatabaseHealthIndicator implements OnModuleInit {
  constructor(
    private readonly healthIndicatorService: HealthIndicatorService,
    @Inject(opsConfig.KEY) private readonly ops: Pick<OpsConfig, 'healthCheckTimeoutMs'>,
    @Optional() @Inject(DATABASE_PROBE) private readonly probe: DatabaseHealthProbe | null = null,
  ) {}

  onModuleInit(): void {
    if (!this.probe) new Logger('Health').warn(noDatabaseProbe());
  }

  async pingCheck<const Key extends string = typeof HEALTH_KEY.database>(
    key: Key = HEALTH_KEY.database as Key,
  ) {
    const indicator = this.healthIndicatorService.check(key);
    const probe = this.probe;
    if (!probe) return indicator.down({ message: noDatabaseProbe() });
    const circuit = probe.circuit?.();
    if (circuit !== undefined && circuit !== 'closed') {
      return indicator.down({ message: databaseCircuitOpen(), circuit });
    }
    return indicator.attempt(() => probe.ping()).withTimeout(this.ops.healthCheckTimeoutMs);
  }
}
