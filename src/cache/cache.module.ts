import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type InjectionToken,
  type MiddlewareConsumer,
  type ModuleMetadata,
  type NestModule,
  type OnApplicationShutdown,
  type OnModuleInit,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { DiscoveryModule } from '@nestjs/core';
import { CacheContext } from './cache-context.js';
import { CacheMetadataAccessor } from './decorators/cache-metadata.accessor.js';
import { CacheWrapperFactory } from './decorators/cache-wrapper.factory.js';
import { CacheableRegistry } from './cacheable-registry.js';
import { CacheStatusHooks } from './cache-status.hooks.js';
import { HitLane } from './hit-lane.js';
import { CachedJsonSerializer } from './cached-json.serializer.js';
import { resolveCacheOptions, type CacheModuleOptions, type ResolvedCacheOptions } from './cache-options.js';
import { VIDCACHE_OPTIONS, VIDCACHE_REDIS } from './cache.constants.js';
import { CacheExplorer } from './decorators/cache.explorer.js';
import { createCompatCacheManager } from './compat-cache-manager.js';
import { CacheStack } from './cache-stack.js';
import { HybridCacheService } from './hybrid-cache.service.js';
import { createRedisConnections, type RedisConnections } from '../redis/redis-connections.js';

export interface CacheModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: never[]) => CacheModuleOptions | Promise<CacheModuleOptions>;
}

const sharedProviders: Provider[] = [
  {
    provide: VIDCACHE_REDIS,
    inject: [VIDCACHE_OPTIONS],
    useFactory: (options: ResolvedCacheOptions) => createRedisConnections(options),
  },
  {
    provide: CACHE_MANAGER,
    inject: [VIDCACHE_OPTIONS, VIDCACHE_REDIS],
    useFactory: createCompatCacheManager,
  },
  CacheContext,
  CacheStack,
  HybridCacheService,
  CacheMetadataAccessor,
  CacheWrapperFactory,
  CacheExplorer,
  CacheableRegistry,
  CacheStatusHooks,
  CachedJsonSerializer,
  HitLane,
];

const exported = [
  VIDCACHE_OPTIONS,
  VIDCACHE_REDIS,
  CACHE_MANAGER,
  CacheContext,
  HybridCacheService,
  CacheableRegistry,
  HitLane,
];

/**
 * The project's global cache module: the hybrid L1/L2 cache, the decorators' wiring, and
 * `CACHE_MANAGER` for `@nestjs/cache-manager` consumers. It owns its Redis connections and closes
 * them on shutdown.
 *
 * @example
 * CacheModule.forRootAsync({ inject: [cacheConfig.KEY], useFactory: (config: CacheConfig) => config })
 */
@Global()
@Module({})
export class CacheModule implements NestModule, OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly explorer: CacheExplorer,
    private readonly statusHooks: CacheStatusHooks,
    private readonly jsonSerializer: CachedJsonSerializer,
    private readonly hitLane: HitLane,
    @Inject(VIDCACHE_REDIS) private readonly redis: RedisConnections | null,
  ) {}

  static forRoot(options: CacheModuleOptions = {}): DynamicModule {
    return {
      module: CacheModule,
      imports: [DiscoveryModule],
      providers: [{ provide: VIDCACHE_OPTIONS, useValue: resolveCacheOptions(options) }, ...sharedProviders],
      exports: exported,
    };
  }

  static forRootAsync(options: CacheModuleAsyncOptions): DynamicModule {
    return {
      module: CacheModule,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [
        {
          provide: VIDCACHE_OPTIONS,
          inject: options.inject ?? [],
          useFactory: async (...args: never[]) => resolveCacheOptions(await options.useFactory(...args)),
        },
        ...sharedProviders,
      ],
      exports: exported,
    };
  }

  /**
   * Nest binds controller routes to their methods before any `onModuleInit` runs, so decorated
   * controller methods must be wrapped earlier. `configure` runs after every instance exists and
   * before the router is registered; `onModuleInit` covers application contexts without HTTP.
   * The `Cache-Status` hooks and the hit lane attach to routes as they are registered, and Fastify
   * gives each route the reply serializer set before it, so all three go in here too.
   */
  configure(_consumer: MiddlewareConsumer): void {
    this.explorer.explore();
    this.statusHooks.install();
    this.jsonSerializer.install();
    this.hitLane.install();
  }

  onModuleInit(): void {
    this.explorer.explore();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
  }
}
