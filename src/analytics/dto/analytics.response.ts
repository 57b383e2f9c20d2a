import { ApiProperty } from '@nestjs/swagger';
import { EVENT_TYPES, type EventType } from '../../database/index.js';
import type { Page } from '../../common/validation/index.js';
import {
  ANALYTICS_RANGES,
  PLATFORM_METRICS,
  type AnalyticsRange,
  type AnalyticsSummary,
  type Bucket,
  type DailyEventCounts,
  type EventCounts,
  type MetricPoint,
  type MetricSeries,
  type PlatformMetric,
  type TrendingVideo,
  type UserStats,
  type VideoStats,
} from '../analytics.repository.js';
import type { RecordedEvent } from '../events.repository.js';

export class EventCountsResponse implements EventCounts {
  @ApiProperty()
  views!: number;

  @ApiProperty()
  likes!: number;

  @ApiProperty()
  shares!: number;
}

export class CategoryEventsResponse {
  @ApiProperty({ example: 'music' })
  category!: string;

  @ApiProperty()
  events!: number;
}

export class UserStatsResponse extends EventCountsResponse implements UserStats {
  @ApiProperty({ example: 'usr_000001' })
  userId!: string;

  @ApiProperty({ enum: ANALYTICS_RANGES })
  range!: AnalyticsRange;

  @ApiProperty({ description: 'Distinct videos the user viewed, liked or shared' })
  distinctVideos!: number;

  @ApiProperty({ type: [CategoryEventsResponse], description: 'At most five, most events first' })
  topCategories!: CategoryEventsResponse[];
}

export class DailyEventCountsResponse extends EventCountsResponse implements DailyEventCounts {
  @ApiProperty({ type: String, format: 'date-time', description: 'Midnight UTC starting the day' })
  day!: Date;
}

export class VideoStatsResponse implements VideoStats {
  @ApiProperty({ example: 'vid_000001' })
  videoId!: string;

  @ApiProperty({ type: EventCountsResponse, description: 'All events ever recorded' })
  totals!: EventCountsResponse;

  @ApiProperty({ description: 'Distinct users who viewed it' })
  uniqueViewers!: number;

  @ApiProperty({ type: [DailyEventCountsResponse], description: 'The last 30 days, oldest first' })
  last30Days!: DailyEventCountsResponse[];
}

export class MetricPointResponse implements MetricPoint {
  @ApiProperty({ type: String, format: 'date-time', description: 'Start of the bucket (UTC)' })
  start!: Date;

  @ApiProperty()
  value!: number;
}

export class MetricSeriesResponse implements MetricSeries {
  @ApiProperty({ enum: PLATFORM_METRICS })
  metric!: PlatformMetric;

  @ApiProperty({ enum: ANALYTICS_RANGES })
  range!: AnalyticsRange;

  @ApiProperty({ enum: ['hour', 'day'], description: 'Hourly over 24h, daily otherwise' })
  bucket!: Bucket;

  @ApiProperty({ description: 'Over the whole range (active users counted once)' })
  total!: number;

  @ApiProperty({ type: [MetricPointResponse] })
  points!: MetricPointResponse[];
}

export class TrendingVideoResponse implements TrendingVideo {
  @ApiProperty({ example: 'vid_000001' })
  videoId!: string;

  @ApiProperty({ example: 'usr_000001' })
  userId!: string;

  @ApiProperty()
  title!: string;

  @ApiProperty()
  category!: string;

  @ApiProperty({
    description: 'Weighted events of the last 7 days (view 1, like 3, share 5; ×3 within 24 h)',
  })
  score!: number;

  @ApiProperty()
  events24h!: number;

  @ApiProperty()
  events7d!: number;
}

export class TrendingPageResponse implements Page<TrendingVideo> {
  @ApiProperty({ type: [TrendingVideoResponse] })
  items!: TrendingVideoResponse[];

  @ApiProperty({ example: 1 })
  page!: number;

  @ApiProperty({ description: 'The limit asked for', example: 20 })
  perPage!: number;

  @ApiProperty({ description: 'Items returned' })
  total!: number;
}

export class RowTotalsResponse {
  @ApiProperty()
  users!: number;

  @ApiProperty()
  videos!: number;
}

export class SummaryResponse extends EventCountsResponse implements AnalyticsSummary {
  @ApiProperty({ enum: ANALYTICS_RANGES })
  range!: AnalyticsRange;

  @ApiProperty()
  events!: number;

  @ApiProperty()
  activeUsers!: number;

  @ApiProperty()
  activeVideos!: number;

  @ApiProperty()
  newUsers!: number;

  @ApiProperty()
  newVideos!: number;

  @ApiProperty({ type: RowTotalsResponse, description: 'Row counts now, whatever the range' })
  totals!: RowTotalsResponse;
}

export class RecordedEventResponse implements RecordedEvent {
  @ApiProperty()
  id!: number;

  @ApiProperty({ enum: EVENT_TYPES })
  type!: EventType;

  @ApiProperty({ example: 'vid_000001' })
  videoId!: string;

  @ApiProperty({ example: 'usr_000001' })
  userId!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;
}
