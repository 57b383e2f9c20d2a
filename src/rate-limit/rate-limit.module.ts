import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import {
  HybridCacheService,
  VIDCACHE_OPTIONS,
  VIDCACHE_REDIS,
  type RedisConnections,
  type CachePrefixOptions,
} from '../cache/index.js';
import { opsConfig, OpsConfigModule, type OpsConfig } from '../config/ops.config.js';
import { ClientThrottlerGuard } from './client-throttler.guard.js';
import { LocalFirstThrottlerStorage } from './local-first-throttler.storage.js';
import { tooManyRequests } from './rate-limit.messages.js';

/** The part of the cache's resolved options that the shared counters need. */
interface RateLimitCacheOptions extends CachePrefixOptions {
  readonly instanceId: string;
}

/**
 * Rate limiting of the public API: `RATE_LIMIT_MAX` requests per `RATE_LIMIT_TTL_MS` and client IP.
 * Each replica decides in memory and shares its counts through Redis every `RATE_LIMIT_SYNC_MS`,
 * so a request never waits on Redis and the limit holds across replicas within a small overshoot
 * (see {@link LocalFirstThrottlerStorage}). Over the limit: 429 with `Retry-After` (seconds).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [OpsConfigModule],
      inject: [opsConfig.KEY, HybridCacheService, VIDCACHE_REDIS, VIDCACHE_OPTIONS],
      useFactory: (
        ops: OpsConfig,
        cache: HybridCacheService,
        redis: RedisConnections | null,
        cacheOptions: RateLimitCacheOptions,
      ) => ({
        throttlers: [{ name: 'default', ttl: ops.rateLimitTtlMs, limit: ops.rateLimitMax }],
        errorMessage: (_context, { timeToBlockExpire }) => tooManyRequests(timeToBlockExpire),
        storage: new LocalFirstThrottlerStorage({
          redis,
          prefix: cacheOptions.prefix,
          instanceId: cacheOptions.instanceId,
          l2Status: () => cache.l2Status,
          syncIntervalMs: ops.rateLimitSyncMs,
        }),
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ClientThrottlerGuard }],
})
export class RateLimitModule {}
