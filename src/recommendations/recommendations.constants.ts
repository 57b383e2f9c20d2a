import { ANY, type CacheKey, type KeyPattern } from '../cache/index.js';

/** The cache namespace of recommendations (its policy is in `app.cache-namespaces.ts`). */
export const RECOMMENDATIONS_NAMESPACE = 'recommendations';

/** One page of a user's recommendations. */
export const recommendationsKey = (userId: string, page: number, perPage: number): CacheKey => [
  'user',
  userId,
  page,
  perPage,
];
/** Every cached page of a user's recommendations, whatever the paging. */
export const recommendationsPattern = (userId: string): KeyPattern => ['user', userId, ANY];

/** The configuration entry (`GET /config/:key`) holding the weight of each event type. */
export const WEIGHTS_CONFIG_KEY = 'recommendations.weights';

/**
 * Bounds that keep one recommendation query cheap whatever the user's history: similarity is
 * measured on the user's most recently watched videos only, and candidates come from the most
 * similar users only.
 */
export const RECENT_VIDEOS = 200;
export const NEIGHBOURS = 50;

/** How many of the most active users' first page each warm-up loads. */
export const WARMED_USERS = 50;
