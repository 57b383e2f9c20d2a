/** Cache namespaces of the videos module (their policies are in `cache/cache-policy.ts`). */
export const VIDEO_NAMESPACE = 'video';
export const VIDEO_STATUS_NAMESPACE = 'video-status';
export const SEARCH_NAMESPACE = 'search';

/**
 * Popular lists are ordered by view counts, which every `POST /events` changes; evicting them on
 * each event would make them uncacheable under load, so they live 5 minutes instead (and the
 * `video` policy's early refresh reloads hot ones in the background).
 */
export const POPULAR_TTL_MS = 5 * 60_000;

// Input bounds (the category's, CATEGORY_MAX_LENGTH, is the column's). Lengths count Unicode code
// points, as PostgreSQL counts characters.
export const TITLE_MAX_LENGTH = 200;
/** Room for generated descriptions and transcripts, well under the 1 MiB body limit. */
export const DESCRIPTION_MAX_LENGTH = 200_000;
export const FORMAT_MAX_LENGTH = 32;
/** `duration_sec` is a PostgreSQL `integer`. */
export const DURATION_MAX_SEC = 2 ** 31 - 1;
export const SEARCH_QUERY_MAX_LENGTH = 200;
export const PROGRESS_MAX = 100;
