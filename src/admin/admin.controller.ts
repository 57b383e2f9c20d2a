import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { SECURITY_SCHEME } from '../common/auth/bearer-token.js';
import { HybridCacheService, type CacheStatsSnapshot } from '../cache/index.js';
import { PredictiveWarmer, type PredictiveWarmingStats } from '../warmup/predictive-warmer.js';
import { WarmupService } from '../warmup/warmup.service.js';
import type { WarmupReport, WarmupStatus } from '../warmup/warmup.types.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { CacheInvalidationService, type InvalidationSummary } from './cache-invalidation.service.js';
import { InvalidateCacheDto } from './dto/invalidate-cache.dto.js';

export type AdminCacheStats = CacheStatsSnapshot & {
  warmup: WarmupStatus;
  predictive: PredictiveWarmingStats;
};

/** Operator endpoints, behind `Authorization: Bearer <ADMIN_TOKEN>`. */
@ApiTags('admin')
@ApiBearerAuth(SECURITY_SCHEME.admin)
@ApiUnauthorizedResponse({ description: 'Missing or wrong token, or ADMIN_TOKEN unset' })
@UseGuards(AdminTokenGuard)
@Controller('admin/cache')
export class AdminController {
  constructor(
    private readonly cache: HybridCacheService,
    private readonly invalidation: CacheInvalidationService,
    private readonly warmup: WarmupService,
    private readonly predictive: PredictiveWarmer,
  ) {}

  /** The cache's statistics (overall and per namespace, L1, L2, alerts), the warm-up's reports, predictive warming. */
  @Get('stats')
  stats(): AdminCacheStats {
    return { ...this.cache.stats(), warmup: this.warmup.status(), predictive: this.predictive.stats() };
  }

  /** Removes keys, patterns, tags and/or a namespace from Redis and from every replica's L1. */
  @Post('invalidate')
  @HttpCode(200)
  async invalidate(@Body() body: InvalidateCacheDto): Promise<{ invalidated: InvalidationSummary }> {
    return { invalidated: await this.invalidation.invalidate(body) };
  }

  /**
   * Runs a warm-up now (warming L2 even if a cycle finished moments ago, unless another replica
   * holds the lock) and answers with its report. If one is already running here, its report.
   */
  @Post('warmup')
  @HttpCode(200)
  runWarmup(): Promise<WarmupReport> {
    return this.warmup.run('manual', { force: true });
  }
}
