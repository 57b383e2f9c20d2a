import { Injectable } from '@nestjs/common';
import { CacheConfig, Cacheable } from '../cache/index.js';
import { userTag, videoTag } from '../common/events/domain-events.js';
import type { Page } from '../common/validation/index.js';
import {
  AnalyticsRepository,
  type AnalyticsRange,
  type AnalyticsSummary,
  type MetricSeries,
  type PlatformMetric,
  type TrendingVideo,
  type UserStats,
  type VideoStats,
} from './analytics.repository.js';
import { AGGREGATE_TTL_MS, ANALYTICS_NAMESPACE } from './analytics.constants.js';
import { platformKey, summaryKey, trendingKey, userStatsKey, videoStatsKey } from './analytics.keys.js';

/**
 * Analytics, computed in SQL over the events table and cached: the expensive reads the cache is
 * for. Per-user and per-video stats live for the policy's TTL and are evicted by the events that
 * change them (`EventsService.record`); platform-wide aggregates are never evicted by events and
 * live {@link AGGREGATE_TTL_MS}. Deleting a video, or moving it to another category, evicts what it
 * changes (`AnalyticsEventsListener`); entries listing videos carry their `videoTag`s.
 */
@CacheConfig({ namespace: ANALYTICS_NAMESPACE })
@Injectable()
export class AnalyticsService {
  constructor(private readonly repository: AnalyticsRepository) {}

  /** What a user did over the range; null for an unknown user. */
  @Cacheable({
    key: userStatsKey,
    tags: (_stats: UserStats | null, userId: string) => [userTag(userId)],
  })
  async userStats(userId: string, range: AnalyticsRange): Promise<UserStats | null> {
    return this.repository.userStats(userId, range);
  }

  /** A video's all-time totals and last 30 days; null for an unknown video. */
  @Cacheable({
    key: videoStatsKey,
    tags: (_stats: VideoStats | null, videoId: string) => [videoTag(videoId)],
  })
  async videoStats(videoId: string): Promise<VideoStats | null> {
    return this.repository.videoStats(videoId);
  }

  @Cacheable({ key: platformKey, ttl: AGGREGATE_TTL_MS })
  async platformMetric(metric: PlatformMetric, range: AnalyticsRange): Promise<MetricSeries> {
    return this.repository.platformMetric(metric, range);
  }

  /** The videos with the highest score over the last 7 days, as a single page. */
  @Cacheable({
    key: trendingKey,
    ttl: AGGREGATE_TTL_MS,
    tags: (result: Page<TrendingVideo>) => result.items.map((video) => videoTag(video.videoId)),
  })
  async trending(limit: number): Promise<Page<TrendingVideo>> {
    const items = await this.repository.trending(limit);
    return { items, page: 1, perPage: limit, total: items.length };
  }

  @Cacheable({ key: summaryKey, ttl: AGGREGATE_TTL_MS })
  async summary(range: AnalyticsRange): Promise<AnalyticsSummary> {
    return this.repository.summary(range);
  }
}
