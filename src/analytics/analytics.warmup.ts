import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_SIZE } from '../common/validation/index.js';
import { WarmupTask } from '../warmup/warmup-task.decorator.js';
import type { WarmupItem } from '../warmup/warmup.types.js';
import { DEFAULT_RANGE } from './analytics.constants.js';
import { AnalyticsService } from './analytics.service.js';

/** Warms the platform-wide analytics that dashboards open first: trending and the summary. */
@Injectable()
export class AnalyticsWarmup {
  constructor(private readonly analytics: AnalyticsService) {}

  @WarmupTask({ name: 'trending-analytics' })
  trending(): WarmupItem[] {
    return [
      { name: 'trending', warm: () => this.analytics.trending(DEFAULT_PAGE_SIZE) },
      { name: `summary:${DEFAULT_RANGE}`, warm: () => this.analytics.summary(DEFAULT_RANGE) },
    ];
  }
}
