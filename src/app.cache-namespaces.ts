import type { CachePolicyOptions } from './cache/index.js';
import { ANALYTICS_NAMESPACE } from './analytics/analytics.constants.js';
import { RECOMMENDATIONS_NAMESPACE } from './recommendations/recommendations.constants.js';
import { STATIC_NAMESPACE } from './static/static.constants.js';
import { SESSION_NAMESPACE, USER_NAMESPACE } from './users/users.constants.js';
import { SEARCH_NAMESPACE, VIDEO_NAMESPACE, VIDEO_STATUS_NAMESPACE } from './videos/videos.constants.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The cache namespaces of the service, keyed by each feature module's own constant, with their
 * default policies (`CACHE_POLICIES` overrides them field by field). The cache core knows none of
 * them: the cache configuration hands this list to `CacheModule`, and refuses overrides of any
 * namespace not in it.
 */
export const APP_CACHE_NAMESPACES: Readonly<Record<string, CachePolicyOptions>> = {
  [USER_NAMESPACE]: { l1TtlMs: 30 * MINUTE, l2TtlMs: 30 * MINUTE, l1Share: 0.15 },
  // Read far more than written, and the hottest: early refresh keeps popular videos from expiring.
  [VIDEO_NAMESPACE]: { l1TtlMs: HOUR, l2TtlMs: HOUR, l1Share: 0.25, earlyRefresh: 0.1 },
  // Changes often while a video is processed: a short TTL, and little grace for a stale status.
  [VIDEO_STATUS_NAMESPACE]: {
    l1TtlMs: 5 * MINUTE,
    l2TtlMs: 5 * MINUTE,
    l1Share: 0.05,
    graceMs: MINUTE,
    jitter: 0.05,
  },
  [STATIC_NAMESPACE]: { l1TtlMs: DAY, l2TtlMs: 7 * DAY, l1Share: 0.1, graceMs: DAY },
  [ANALYTICS_NAMESPACE]: {
    l1TtlMs: 30 * MINUTE,
    l2TtlMs: 30 * MINUTE,
    l1Share: 0.15,
    graceMs: HOUR,
    earlyRefresh: 0.1,
  },
  [SEARCH_NAMESPACE]: { l1TtlMs: 10 * MINUTE, l2TtlMs: 10 * MINUTE, l1Share: 0.15 },
  // A session is the system of record's copy: never served past its TTL, never jittered.
  [SESSION_NAMESPACE]: { l1TtlMs: DAY, l2TtlMs: DAY, l1Share: 0.1, graceMs: 0, jitter: 0 },
  // Costly to compute and tolerant of age: other users' events reach them only on expiry.
  [RECOMMENDATIONS_NAMESPACE]: {
    l1TtlMs: 10 * MINUTE,
    l2TtlMs: 30 * MINUTE,
    l1Share: 0.05,
    graceMs: HOUR,
    earlyRefresh: 0.1,
  },
};
