import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import {
  HybridCacheService,
  VIDCACHE_OPTIONS,
  VIDCACHE_REDIS,
  type RedisConnections,
} from '../../cache/index.js';
import { opsConfig, OpsConfigModule, type OpsConfig } from '../../config/ops.config.js';
import type { CachePrefixOptions } from '../meta-keys.js';
import { ClientThrottlerGuard } from './client-throttler.guard.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

/**
 * Rate limiting of the public API: `RATE_LIMIT_MAX` requests per `RATE_LIMIT_TTL_MS` and client IP,
 * counted in Redis so the limit holds across replicas (per replica while Redis is down). Over the
 * limit: 429 with `Retry-After` (seconds).
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
        cacheOptions: CachePrefixOptions,
      ) => ({
        throttlers: [{ name: 'default', ttl: ops.rateLimitTtlMs, limit: ops.rateLimitMax }],
        storage: new RedisThrottlerStorage(redis, cacheOptions.prefix, () => cache.l2Status),
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ClientThrottlerGuard }],
})
export class RateLimitModule {}
