import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Cluster } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { HybridCacheService, VIDCACHE_REDIS, type RedisConnections } from '../cache/index.js';
import { withTimeout } from '../common/with-timeout.js';
import { appConfig, type AppConfig } from '../config/app.config.js';
import { opsConfig, type OpsConfig } from '../config/ops.config.js';
import { HEALTH_KEY } from './health.constants.js';
import { redisRequiredButDisabled } from './health.messages.js';

export interface CacheHealthDetails {
  [key: string]: unknown;
  redis: {
    state: 'up' | 'down' | 'disabled';
    required: boolean;
    pingMs?: number;
    error?: string;
    /** On a Redis Cluster: `cluster_state` (`ok`/`fail`) and how many masters answer. */
    cluster?: { state: string; masters: number };
  };
  /** The cache's circuit breaker in front of Redis: `closed` means L2 is in use. */
  circuit: string;
  /** Why L2 is out of service (a refused eviction, repeated failures), and what waits for it. */
  l2: { reason?: string; pendingEvictions: number; evictionFailures: number };
  /** Whether this replica hears the invalidation bus (a deaf one serves no L1). */
  bus?: { hearing: boolean; gaps: number; deafPeriods: number };
  l1: { entries: number; bytes: number; maxBytes: number; usedRatio: number };
}

/**
 * The cache as readiness sees it: a Redis ping (bounded by `HEALTH_CHECK_TIMEOUT_MS`), the circuit
 * breaker's state, and L1 memory against its limit.
 *
 * Redis down, or the circuit still open while it recovers, is `degraded`: the replica serves from
 * L1 and the database, so it stays ready. With `REDIS_REQUIRED=true` an unreachable Redis is `down`.
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    private readonly healthIndicatorService: HealthIndicatorService,
    private readonly cache: HybridCacheService,
    @Inject(appConfig.KEY) private readonly app: Pick<AppConfig, 'redisRequired'>,
    @Inject(opsConfig.KEY) private readonly ops: Pick<OpsConfig, 'healthCheckTimeoutMs'>,
    @Optional() @Inject(VIDCACHE_REDIS) private readonly redis: RedisConnections | null = null,
  ) {}

  async isHealthy<const Key extends string = typeof HEALTH_KEY.cache>(key: Key = HEALTH_KEY.cache as Key) {
    const indicator = this.healthIndicatorService.check(key);
    const stats = this.cache.stats();
    const required = this.app.redisRequired;
    const details: CacheHealthDetails = {
      redis: { state: 'disabled', required },
      circuit: stats.l2.circuit,
      l2: {
        ...(stats.l2.reason === undefined ? {} : { reason: stats.l2.reason }),
        pendingEvictions: stats.l2.pendingEvictions,
        evictionFailures: stats.l2.evictionFailures,
      },
      ...(stats.bus
        ? { bus: { hearing: stats.bus.hearing, gaps: stats.bus.gaps, deafPeriods: stats.bus.deafPeriods } }
        : {}),
      l1: {
        entries: stats.l1.entries,
        bytes: stats.l1.bytes,
        maxBytes: stats.l1.maxBytes,
        usedRatio: stats.l1.maxBytes === 0 ? 0 : round(stats.l1.bytes / stats.l1.maxBytes),
      },
    };
    if (!this.redis) {
      return required
        ? indicator.down({ ...details, message: redisRequiredButDisabled() })
        : indicator.up(details);
    }
    const started = performance.now();
    try {
      // Both command connections: the writer carries the evictions (RedisConnections).
      await withTimeout(
        Promise.all([this.redis.client.ping(), this.redis.writer.ping()]),
        this.ops.healthCheckTimeoutMs,
        'Redis ping',
      );
      details.redis = { state: 'up', required, pingMs: round(performance.now() - started) };
      const client = this.redis.client;
      if (client instanceof Cluster) {
        const info = await withTimeout(client.cluster('INFO'), this.ops.healthCheckTimeoutMs, 'CLUSTER INFO');
        const state = /cluster_state:(\w+)/.exec(String(info))?.[1] ?? 'unknown';
        details.redis.cluster = { state, masters: client.nodes('master').length };
        if (state !== 'ok') {
          details.redis.state = 'down';
          return required ? indicator.down(details) : indicator.degraded(details);
        }
      }
    } catch (error) {
      details.redis = { state: 'down', required, error: (error as Error).message };
      return required ? indicator.down(details) : indicator.degraded(details);
    }
    // Redis answers, but the cache may still be skipping it until its recovery probe closes the circuit.
    return stats.l2.status === 'up' ? indicator.up(details) : indicator.degraded(details);
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
