import type { CacheKey } from '../cache/index.js';
import {
  platformKey,
  summaryKey,
  trendingKey,
  userStatsKey,
  videoStatsKey,
} from '../analytics/analytics.keys.js';
import { ANALYTICS_NAMESPACE } from '../analytics/analytics.constants.js';
import {
  STATIC_NAMESPACE,
  apiDocsKey,
  configKey,
  statusKey as replicaStatusKey,
  templateKey,
} from '../static/static.constants.js';
import {
  SESSION_NAMESPACE,
  USER_NAMESPACE,
  profileKey,
  queueKey,
  sessionKey,
} from '../users/users.constants.js';
import { SEARCH_NAMESPACE, VIDEO_NAMESPACE, VIDEO_STATUS_NAMESPACE } from '../videos/videos.constants.js';
import { popularKey, searchKey, statusKey, userVideosKey, videoKey } from '../videos/videos.keys.js';

const kindsOf = (...keys: CacheKey[]) => keys.map((key) => String((key as readonly unknown[])[0]));

/**
 * The kinds of entry (the first part of every key) in each namespace of the service, read from the
 * feature modules' own key functions (called with placeholder arguments), so this list cannot drift
 * from the keys the code really builds. An admin key or pattern whose first part is not one of its
 * namespace's kinds names nothing and is refused. A namespace missing here (a test's own, say) is
 * not checked beyond the key's shape.
 */
export const CACHE_KEY_KINDS: ReadonlyMap<string, readonly string[]> = new Map([
  [VIDEO_NAMESPACE, kindsOf(videoKey('x'), userVideosKey('x', 1, 1), popularKey(undefined, 1))],
  [VIDEO_STATUS_NAMESPACE, kindsOf(statusKey('x'))],
  [SEARCH_NAMESPACE, kindsOf(searchKey({ q: 'x', category: undefined, page: 1, perPage: 1 }))],
  [USER_NAMESPACE, kindsOf(profileKey('x'), queueKey('x'))],
  [SESSION_NAMESPACE, kindsOf(sessionKey('x'))],
  [
    ANALYTICS_NAMESPACE,
    kindsOf(
      userStatsKey('x', '7d'),
      videoStatsKey('x'),
      platformKey('views', '7d'),
      trendingKey(1),
      summaryKey('7d'),
    ),
  ],
  [STATIC_NAMESPACE, kindsOf(templateKey('x'), configKey('x'), apiDocsKey('x'), replicaStatusKey('x'))],
]);
