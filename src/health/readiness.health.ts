import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HEALTH_KEY } from './health.constants.js';
import { ReadinessState } from './readiness-state.js';

/** The replica's own readiness: the first warm-up, and shutdown. */
@Injectable()
export class ReadinessHealthIndicator {
  constructor(
    private readonly healthIndicatorService: HealthIndicatorService,
    private readonly state: ReadinessState,
  ) {}

  /** Up once the first warm-up finished, or once readiness stopped waiting for it. */
  warmupCheck<const Key extends string = typeof HEALTH_KEY.warmup>(key: Key = HEALTH_KEY.warmup as Key) {
    const indicator = this.healthIndicatorService.check(key);
    const firstRun = this.state.warmup;
    return firstRun === 'pending' ? indicator.down({ firstRun }) : indicator.up({ firstRun });
  }

  /** Down from the moment shutdown begins, so load balancers stop sending traffic before the server closes. */
  lifecycleCheck<const Key extends string = typeof HEALTH_KEY.lifecycle>(
    key: Key = HEALTH_KEY.lifecycle as Key,
  ) {
    const indicator = this.healthIndicatorService.check(key);
    return this.state.isShuttingDown
      ? indicator.down({ shuttingDown: true })
      : indicator.up({ shuttingDown: false });
  }
}
