import { Controller, Get, Param, UseInterceptors, type OnModuleInit } from '@nestjs/common';
import { CacheInterceptor } from '@nestjs/cache-manager';
import {
  CacheStatusInterceptor,
  HybridCacheService,
  type CacheStatsSnapshot,
} from '../../src/cache/index.js';
import { VideosRepository, type Video } from '../../src/videos/videos.repository.js';
import { BenchVideosService } from './bench-videos.service.js';

/** The id the constant route's answer is read from once at start, so every route sends the same shape. */
export const CONSTANT_VIDEO_ID = 'vid_000001';

/**
 * The routes the HTTP section compares, all in one app. Each takes an `:id` (the load generator
 * cycles through many), so routing and parameter parsing cost the same everywhere.
 */
@Controller('bench')
export class BenchController implements OnModuleInit {
  private constant: Video | null = null;

  constructor(
    private readonly repository: VideosRepository,
    private readonly videos: BenchVideosService,
    private readonly cache: HybridCacheService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.constant = await this.repository.findById(CONSTANT_VIDEO_ID);
  }

  /** The cache's counters, read by the bench after the run (L2 errors would void the L2 numbers). */
  @Get('stats')
  stats(): CacheStatsSnapshot {
    return this.cache.stats();
  }

  /** The limit: the app's own overhead, answering a video it already holds. */
  @Get('constant/:id')
  constantVideo(@Param('id') _id: string): Video | null {
    return this.constant;
  }

  /**
   * Diagnostic: the constant answered through a promise, as every cached route answers; tells
   * what an async handler costs (on Node 20 every promise pays the async hooks that
   * AsyncLocalStorage turns on) from what the cache costs.
   */
  @Get('constant-async/:id')
  async constantVideoAsync(@Param('id') _id: string): Promise<Video | null> {
    return this.constant;
  }

  /** The database on every request. */
  @Get('uncached/:id')
  uncached(@Param('id') id: string): Promise<Video | null> {
    return this.repository.findById(id);
  }

  /** The same read behind NestJS's own `CacheInterceptor`, on the `CACHE_MANAGER` of our CacheModule. */
  @Get('nest-cache/:id')
  @UseInterceptors(CacheInterceptor)
  nestCache(@Param('id') id: string): Promise<Video | null> {
    return this.repository.findById(id);
  }

  /** vidcache: a `@Cacheable` service method, and the `Cache-Status` header the service sends. */
  @Get('vidcache/:id')
  @UseInterceptors(CacheStatusInterceptor)
  vidcache(@Param('id') id: string): Promise<Video | null> {
    return this.videos.findById(id);
  }

  /**
   * Diagnostic: the same `@Cacheable` L1 hit without the `Cache-Status` interceptor, to tell the
   * cache's own cost from the header's (AsyncLocalStorage and an extra Observable per request).
   */
  @Get('vidcache-no-header/:id')
  vidcacheWithoutHeader(@Param('id') id: string): Promise<Video | null> {
    return this.videos.findById(id);
  }

  /**
   * PROTOTYPE: the same L1 hit and the same `Cache-Status` header, set by Fastify route hooks
   * instead of a Nest interceptor (see `cache-status-hooks.ts`).
   */
  @Get('vidcache-hook-header/:id')
  vidcacheHookHeader(@Param('id') id: string): Promise<Video | null> {
    return this.videos.findById(id);
  }

  /** vidcache on a namespace without L1: every request is an L2 (Redis) hit. */
  @Get('vidcache-l2/:id')
  @UseInterceptors(CacheStatusInterceptor)
  vidcacheL2(@Param('id') id: string): Promise<Video | null> {
    return this.videos.findByIdFromL2(id);
  }
}
