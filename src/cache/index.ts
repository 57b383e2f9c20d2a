/** The cache core's public API: feature modules import the cache only from here. */
export { CacheModule, type CacheModuleAsyncOptions } from './cache.module.js';
export {
  HybridCacheService,
  type WrapOptions,
  type CacheStatsSnapshot,
  type L2Status,
} from './hybrid-cache.service.js';
export { CacheUnavailableError } from './cache-unavailable.error.js';
export { CacheContext, type CacheOutcome, type CacheTier } from './cache-context.js';
export { ANY, type CacheKey, type KeyPart, type KeyPattern } from './cache-keys.js';
export type { CacheModuleOptions } from './cache-options.js';
export type { CachePolicy, CachePolicyOptions } from './cache-policy.js';
export { META_SEGMENT, VIDCACHE_OPTIONS, VIDCACHE_REDIS } from './cache.constants.js';
export { InjectCachePrefix, type CachePrefixOptions } from './cache-prefix.js';
export { resolveCacheOptions, type ResolvedCacheOptions } from './cache-options.js';
export type { RedisConnections } from '../redis/redis-connections.js';
export { Cacheable } from './decorators/cacheable.decorator.js';
export { CacheEvict } from './decorators/cache-evict.decorator.js';
export { CachePut } from './decorators/cache-put.decorator.js';
export { CacheConfig } from './decorators/cache-config.decorator.js';
export type {
  CacheableOptions,
  CacheEvictOptions,
  CachePutOptions,
  CacheConfigOptions,
} from './decorators/cache-options.types.js';
export { CacheStatusInterceptor } from './cache-status.interceptor.js';
export { cacheStatus, CACHE_STATUS_NAME } from './cache-status.js';
export { CacheStatusHooks, CACHE_STATUS_ROUTE_CONFIG } from './cache-status.hooks.js';
export {
  CacheableRegistry,
  type CacheableCall,
  type CacheableMethod,
  type CacheAccessObserver,
} from './cacheable-registry.js';
export { HitLane, HitLaneError, ServeL1Hits, type HitLaneGuard, type HitLaneOptions } from './hit-lane.js';
