import { ANY, type CacheKey, type KeyPattern } from '../cache/index.js';
import type { AnalyticsRange, PlatformMetric } from './analytics.repository.js';

// Every key and pattern of the `analytics` namespace, shared by the reads and the evictions.

/** One user's stats over one range. */
export const userStatsKey = (userId: string, range: AnalyticsRange): CacheKey => ['user', userId, range];
/** One user's stats, every range. */
export const userStatsPattern = (userId: string): KeyPattern => ['user', userId, ANY];
/** Every user's stats. */
export const ALL_USER_STATS: KeyPattern = ['user', ANY];

/** One video's stats. */
export const videoStatsKey = (videoId: string): CacheKey => ['video', videoId];

export const platformKey = (metric: PlatformMetric, range: AnalyticsRange): CacheKey => [
  'platform',
  metric,
  range,
];
export const ALL_PLATFORM_METRICS: KeyPattern = ['platform', ANY];

export const trendingKey = (limit: number): CacheKey => ['trending', limit];

export const summaryKey = (range: AnalyticsRange): CacheKey => ['summary', range];
export const ALL_SUMMARIES: KeyPattern = ['summary', ANY];
