import type { CacheOutcome } from './cache-context.js';

/** The cache's name in `Cache-Status` (RFC 9211). */
export const CACHE_STATUS_NAME = 'vidcache';

const RANK: Record<CacheOutcome['tier'], number> = { l1: 0, l2: 1, stale: 2, bypass: 3, source: 4 };

/**
 * The `Cache-Status` value for a request's cache outcomes, or `undefined` when no cache was read.
 * When a request read several entries, the one that went furthest from L1 names the response: a
 * response is only as cached as its least cached part.
 *
 * @example cacheStatus([{ tier: 'l1' }]) === 'vidcache; hit; detail=l1'
 */
export function cacheStatus(outcomes: readonly CacheOutcome[]): string | undefined {
  if (outcomes.length === 0) return undefined;
  let worst = outcomes[0]!;
  for (const outcome of outcomes) if (RANK[outcome.tier] > RANK[worst.tier]) worst = outcome;
  switch (worst.tier) {
    case 'l1':
    case 'l2':
    case 'stale':
      return `${CACHE_STATUS_NAME}; hit; detail=${worst.tier}`;
    case 'bypass':
      return `${CACHE_STATUS_NAME}; fwd=bypass`;
    case 'source':
      return worst.stored ? `${CACHE_STATUS_NAME}; fwd=miss; stored` : `${CACHE_STATUS_NAME}; fwd=miss`;
  }
}
