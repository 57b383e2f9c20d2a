import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiIdParam, ParseIdPipe, type Page } from '../common/validation/index.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { userNotFound, videoNotFound } from './analytics.messages.js';
import type {
  AnalyticsSummary,
  MetricSeries,
  TrendingVideo,
  UserStats,
  VideoStats,
} from './analytics.repository.js';
import { AnalyticsService } from './analytics.service.js';
import { PlatformMetricParams, RangeQuery, TrendingQuery } from './dto/analytics-queries.dto.js';
import {
  MetricSeriesResponse,
  SummaryResponse,
  TrendingPageResponse,
  UserStatsResponse,
  VideoStatsResponse,
} from './dto/analytics.response.js';

const AGGREGATE_FRESHNESS =
  'Cached 60 s (`analytics` namespace) and refreshed early in the background while it is read. ' +
  'Deliberately NOT evicted by `POST /events`: every event changes it, and evicting it on each one ' +
  'would make it uncacheable under load, so it can be up to 60 s behind the events.';

@ApiTags('analytics')
@Controller('analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('users/:id')
  @ApiIdParam('usr')
  @ApiOperation({
    summary: 'What a user did over a range',
    description:
      'Cached per user and range (`analytics` namespace, 30 minutes); each event the user records evicts it.',
  })
  @ApiOkResponse({ type: UserStatsResponse })
  @ApiErrors(400, 404)
  async user(
    @Param('id', new ParseIdPipe('usr')) id: string,
    @Query() query: RangeQuery,
  ): Promise<UserStats> {
    const stats = await this.analytics.userStats(id, query.range);
    if (stats === null) throw new NotFoundException(userNotFound(id));
    return stats;
  }

  @Get('videos/:id')
  @ApiIdParam('vid')
  @ApiOperation({
    summary: 'A video’s counters and last 30 days',
    description:
      'Cached per video (`analytics` namespace, 30 minutes); each event on the video evicts it, and so ' +
      'does deleting the video.',
  })
  @ApiOkResponse({ type: VideoStatsResponse })
  @ApiErrors(400, 404)
  async video(@Param('id', new ParseIdPipe('vid')) id: string): Promise<VideoStats> {
    const stats = await this.analytics.videoStats(id);
    if (stats === null) throw new NotFoundException(videoNotFound(id));
    return stats;
  }

  @Get('platform/:metric')
  @ApiOperation({ summary: 'A platform-wide time series', description: AGGREGATE_FRESHNESS })
  @ApiOkResponse({ type: MetricSeriesResponse })
  @ApiErrors(400)
  platform(@Param() params: PlatformMetricParams, @Query() query: RangeQuery): Promise<MetricSeries> {
    return this.analytics.platformMetric(params.metric, query.range);
  }

  @Get('trending')
  @ApiOperation({
    summary: 'Trending videos (last 7 days, weighted, recent events count more)',
    description: `${AGGREGATE_FRESHNESS} Changing or deleting a listed video evicts it.`,
  })
  @ApiOkResponse({ type: TrendingPageResponse })
  @ApiErrors(400)
  trending(@Query() query: TrendingQuery): Promise<Page<TrendingVideo>> {
    return this.analytics.trending(query.limit);
  }

  @Get('summary')
  @ApiOperation({ summary: 'Platform totals over a range', description: AGGREGATE_FRESHNESS })
  @ApiOkResponse({ type: SummaryResponse })
  @ApiErrors(400)
  summary(@Query() query: RangeQuery): Promise<AnalyticsSummary> {
    return this.analytics.summary(query.range);
  }
}
