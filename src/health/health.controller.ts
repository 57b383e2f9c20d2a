import { Controller, Get, Header, UseFilters } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { CacheHealthIndicator } from './cache.health.js';
import { DatabaseHealthIndicator } from './database.health.js';
import { HEALTH_KEY } from './health.constants.js';
import { HealthCheckFilter } from './health-check.filter.js';
import { ReadinessHealthIndicator } from './readiness.health.js';

/** Kubernetes probes. Never rate-limited: a throttled probe would take a healthy pod out of service. */
@ApiTags('health')
@SkipThrottle()
@Controller('health')
export class HealthController {
  private readonly startedAt = Date.now();

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly cache: CacheHealthIndicator,
    private readonly readiness: ReadinessHealthIndicator,
  ) {}

  /**
   * Liveness: 200 whenever the event loop can answer. It checks nothing outside the process, so an
   * outage of Redis or the database never gets a pod restarted; and it stays 200 while draining.
   */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process can answer' })
  @ApiOkResponse({
    description: 'The process answers (in `@nestjs/terminus` form)',
    schema: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['ok'] },
        info: { type: 'object', additionalProperties: true },
        error: { type: 'object', additionalProperties: true },
        details: { type: 'object', additionalProperties: true },
      },
      example: {
        status: 'ok',
        info: { process: { status: 'up', uptimeSeconds: 42 } },
        error: {},
        details: { process: { status: 'up', uptimeSeconds: 42 } },
      },
    },
  })
  @Header('Cache-Control', 'no-cache, no-store, must-revalidate')
  live(): HealthCheckResult {
    const process = {
      status: 'up' as const,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
    };
    return {
      status: 'ok',
      info: { [HEALTH_KEY.process]: process },
      error: {},
      details: { [HEALTH_KEY.process]: process },
    };
  }

  /**
   * Readiness: 200 when this replica should receive traffic (database reachable, first warm-up
   * finished or no longer waited for, not shutting down), 503 otherwise. Redis down is reported
   * as `degraded` with a 200, unless `REDIS_REQUIRED=true`.
   */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: 200 when this replica should receive traffic, else 503' })
  @HealthCheck()
  @ApiServiceUnavailableResponse({
    description: 'Not ready: the failing checks are under `error`',
    example: {
      status: 'error',
      info: { cache: { status: 'up' }, lifecycle: { status: 'up' } },
      error: { database: { status: 'down', message: 'Database did not answer within 1000 ms' } },
      details: {
        database: { status: 'down', message: 'Database did not answer within 1000 ms' },
        cache: { status: 'up' },
        lifecycle: { status: 'up' },
      },
    },
  })
  @UseFilters(HealthCheckFilter)
  ready() {
    return this.health.check([
      () => this.database.pingCheck(),
      () => this.cache.isHealthy(),
      () => this.readiness.warmupCheck(),
      () => this.readiness.lifecycleCheck(),
    ]);
  }
}
