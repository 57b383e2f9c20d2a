import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Post,
  Res,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { redisUnreachable, replicasUnconfirmed } from './admin.messages.js';
import { CACHE_STATS_SCHEMA, WARMUP_REPORT_SCHEMA } from './dto/cache-stats.schema.js';
import { InvalidationResponse } from './dto/invalidation.response.js';
import { RETRY_AFTER_SECONDS } from './admin.constants.js';
import { SECURITY_SCHEME } from '../common/auth/bearer-token.js';
import { HybridCacheService, type CacheStatsSnapshot } from '../cache/index.js';
import { cacheAlerts } from '../metrics/cache-alerts.js';
import { PredictiveWarmer, type PredictiveWarmingStats } from '../warmup/predictive-warmer.js';
import { WarmupService } from '../warmup/warmup.service.js';
import type { WarmupReport, WarmupStatus } from '../warmup/warmup.types.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { CacheInvalidationService, type InvalidationResult } from './cache-invalidation.service.js';
import { InvalidateCacheDto } from './dto/invalidate-cache.dto.js';

export type AdminCacheStats = CacheStatsSnapshot & {
  /** The alerts the snapshot raises (see `cacheAlerts`). */
  alerts: string[];
  warmup: WarmupStatus;
  predictive: PredictiveWarmingStats;
};

/** Operator endpoints, behind `Authorization: Bearer <ADMIN_TOKEN>`. */
@ApiTags('admin')
@ApiBearerAuth(SECURITY_SCHEME.admin)
@ApiErrors({ status: 401, description: 'Missing or wrong token, or ADMIN_TOKEN unset' })
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
  @ApiOperation({ summary: 'Cache statistics, warm-up reports and predictive warming' })
  @ApiOkResponse({ schema: CACHE_STATS_SCHEMA })
  stats(): AdminCacheStats {
    const stats = this.cache.stats();
    return {
      ...stats,
      alerts: cacheAlerts(stats),
      warmup: this.warmup.status(),
      predictive: this.predictive.stats(),
    };
  }

  /**
   * Removes keys, patterns, tags and/or a namespace from Redis and from every replica's L1. A 200
   * means done everywhere: every other replica confirmed it; otherwise a 503 says how many did.
   */
  @Post('invalidate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Invalidate keys, patterns, tags or a namespace on every replica' })
  @ApiOkResponse({
    type: InvalidationResponse,
    description: 'Done in Redis and on every replica (`replicas.confirmed` of `replicas.replicas`)',
  })
  @ApiErrors(
    {
      status: 400,
      description: 'Any other body shape; the message names the field',
      message: ['property keyz should not exist'],
    },
    {
      status: 503,
      description: 'Redis unreachable, or some replica did not confirm in time: applied here, retry',
      message: replicasUnconfirmed(1, 2),
    },
    413,
    415,
  )
  async invalidate(
    @Body() body: InvalidateCacheDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InvalidationResult> {
    let result: InvalidationResult;
    try {
      result = await this.invalidation.invalidate(body);
    } catch (error) {
      if (!isRedisFailure(error)) throw error;
      reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
      throw new ServiceUnavailableException(redisUnreachable());
    }
    const { replicas, confirmed } = result.replicas;
    if (confirmed < replicas) {
      reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
      throw new ServiceUnavailableException(replicasUnconfirmed(confirmed, replicas));
    }
    return result;
  }

  /**
   * Runs a warm-up now (warming L2 even if a cycle finished moments ago, unless another replica
   * holds the lock) and answers with its report. If one is already running here, its report.
   */
  @Post('warmup')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run a warm-up now and answer its report' })
  @ApiOkResponse({
    schema: WARMUP_REPORT_SCHEMA,
    description: 'The report of the run (or of the one already running)',
  })
  runWarmup(): Promise<WarmupReport> {
    return this.warmup.run('manual', { force: true });
  }
}

/** Anything but the request's own refusal (an HTTP exception) is the broadcast failing on Redis. */
const isRedisFailure = (error: unknown) => !(error instanceof HttpException);
