import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../common/validation/index.js';
import {
  ANALYTICS_RANGES,
  PLATFORM_METRICS,
  type AnalyticsRange,
  type PlatformMetric,
} from '../analytics.repository.js';
import { DEFAULT_RANGE } from '../analytics.constants.js';

/** `?range=`: the period ending now. */
export class RangeQuery {
  @ApiPropertyOptional({ enum: ANALYTICS_RANGES, default: DEFAULT_RANGE })
  @IsIn(ANALYTICS_RANGES)
  range: AnalyticsRange = DEFAULT_RANGE;
}

/** `GET /analytics/trending?limit=`. */
export class TrendingQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = DEFAULT_PAGE_SIZE;
}

/** `/analytics/platform/:metric`. */
export class PlatformMetricParams {
  @ApiProperty({ enum: PLATFORM_METRICS, example: 'views' })
  @IsIn(PLATFORM_METRICS)
  metric!: PlatformMetric;
}
