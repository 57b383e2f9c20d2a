import { Controller, Get, Param, UseInterceptors, type OnModuleInit } from '@nestjs/common';
import { CacheInterceptor } from '@nestjs/cache-manager';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  CACHE_STATUS_ROUTE_CONFIG,
  CacheStatusInterceptor,
  HybridCacheService,
  type CacheStatsSnapshot,
} from '../../src/cache/index.js';
import { ID_PREFIX } from '../../src/database/database.constants.js';
import { seedId } from '../../src/database/ids.js';
import { VideosRepository, type Video } from '../../src/videos/videos.repository.js';
import { BenchVideosService } from './bench-videos.service.js';

/** The id the constant route's answer is read from once at start, so every route sends the same shape. */
export const CONSTANT_VIDEO_ID = 'vid_000001';
/** How many videos the map route holds: the ids the load generator cycles through (`http.ids`). */
export const HELD_VIDEOS = 1_000;

/**
 * The routes the HTTP section compares, all in one app. Each takes an `:id` (the load generator
 * cycles through many), so routing and parameter parsing cost the same everywhere.
 */
@Controller('bench')
export class BenchController implements OnModuleInit {
  private constant: Video | null = null;
  /** The videos the load generator asks for, read once at start (see `mapVideo`). */
  private readonly held = new Map<string, Video | null>();

  constructor(
    private readonly repository: VideosRepository,
    private readonly videos: BenchVideosService,
    private readonly cache: HybridCacheService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.constant = await this.repository.findById(CONSTANT_VIDEO_ID);
    for (let i = 1; i <= HELD_VIDEOS; i++) {
      const id = seedId(ID_PREFIX.video, i);
      this.held.set(id, await this.repository.findById(id));
    }
  }

  /** The cache's counters, read by the bench after the run (L2 errors would void the L2 numbers). */
  @Get('stats')
  stats(): CacheStatsSnapshot {
    return this.cache.stats();
  }

  /**
   * The limit: the app's own overhead, answering a video it already holds. It is a route of the
   * same app, so `CacheModule`'s `Cache-Status` hook runs on it too (and finds no cache outcome).
   */
  @Get('constant/:id')
  constantVideo(@Param('id') _id: string): Video | null {
    return this.constant;
  }

  /** Diagnostic: the constant route with the `Cache-Status` hook turned off, i.e. what the hook costs a route. */
  @Get('constant-no-hook/:id')
  @RouteConfig({ [CACHE_STATUS_ROUTE_CONFIG]: false })
  constantWithoutHook(@Param('id') _id: string): Video | null {
    return this.constant;
  }

  /**
   * Diagnostic: the video asked for, from a plain `Map` filled at start (no cache, no hook work but
   * the lookup): a different object each request, as on the cached routes, where the constant
   * route serializes one object again and again. Tells the cost of varied answers from the cache's.
   */
  @Get('map/:id')
  @RouteConfig({ [CACHE_STATUS_ROUTE_CONFIG]: false })
  mapVideo(@Param('id') id: string): Video | null {
    return this.held.get(id) ?? null;
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

  /** vidcache: a `@Cacheable` service method; `CacheModule`'s route hook sends `Cache-Status`. */
  @Get('vidcache/:id')
  vidcache(@Param('id') id: string): Promise<Video | null> {
    return this.videos.findById(id);
  }

  /**
   * Diagnostic: the same L1 hit with `Cache-Status` written by `CacheStatusInterceptor` (a Nest
   * interceptor, the way before the hooks) instead of the route hook.
   */
  @Get('vidcache-interceptor/:id')
  @RouteConfig({ [CACHE_STATUS_ROUTE_CONFIG]: false })
  @UseInterceptors(CacheStatusInterceptor)
  vidcacheWithInterceptor(@Param('id') id: string): Promise<Video | null> {
    return this.videos.findById(id);
  }

  /** vidcache on a namespace without L1: every request is an L2 (Redis) hit. */
  @Get('vidcache-l2/:id')
  vidcacheL2(@Param('id') id: string): Promise<Video | null> {
    return this.videos.findByIdFromL2(id);
  }
}
