import type { AnalyticsRange } from './analytics.repository.js';

/** The cache namespace of everything analytics computes (its policy: 30 minutes, early refresh). */
export const ANALYTICS_NAMESPACE = 'analytics';

/**
 * TTL of the platform-wide aggregates (trending, summary, platform metrics). Every event changes
 * them, and evicting them on each `POST /events` would make them uncacheable under load; so they
 * are never evicted by events, live this long, and the policy's early refresh reloads hot ones in
 * the background. Per-user and per-video analytics are evicted by their own events instead.
 */
export const AGGREGATE_TTL_MS = 60_000;

export const DEFAULT_RANGE: AnalyticsRange = '7d';
