import { ANY, type CacheKey, type KeyPattern } from '../cache/index.js';
import type { NormalizedSearch } from './search-text.js';

// Every cache key and pattern of the videos module, in one place: the decorators and the
// imperative evictions use the same functions, so a read and its eviction can never disagree.
// Input is always a key *part*: the cache encodes parts, so `*`, `?`, `[`, `:` and `\` stay data.

/** `video` namespace: one video's metadata. */
export const videoKey = (id: string): CacheKey => ['video', id];

/** `video-status` namespace: one video's processing status. */
export const statusKey = (id: string): CacheKey => ['status', id];

/** `video` namespace: one page of a user's videos. */
export const userVideosKey = (userId: string, page: number, perPage: number): CacheKey => [
  'user-videos',
  userId,
  page,
  perPage,
];
/** Every cached page of a user's videos, whatever the paging. */
export const userVideosPattern = (userId: string): KeyPattern => ['user-videos', userId, ANY];

// "No category" and "category c" get different literal parts (and arities), so no category name,
// not even one spelled like a marker, can collide with the list over every category.
const ALL_CATEGORIES = 'all-categories';
const IN_CATEGORY = 'category';

/** `video` namespace: the most viewed videos, in one category or over all of them. */
export const popularKey = (category: string | undefined, limit: number): CacheKey =>
  category === undefined ? ['popular', ALL_CATEGORIES, limit] : ['popular', IN_CATEGORY, category, limit];
/** Every cached popular list of one category (any limit), or of all categories. */
export const popularPattern = (category: string | undefined): KeyPattern =>
  category === undefined ? ['popular', ALL_CATEGORIES, ANY] : ['popular', IN_CATEGORY, category, ANY];

/** `search` namespace: one page of results for a normalized query. */
export const searchKey = ({ q, category, page, perPage }: NormalizedSearch): CacheKey =>
  category === undefined
    ? ['search', q, ALL_CATEGORIES, page, perPage]
    : ['search', q, IN_CATEGORY, category, page, perPage];
