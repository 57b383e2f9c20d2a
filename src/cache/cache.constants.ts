/** Injection token of the resolved cache options. */
export const VIDCACHE_OPTIONS = Symbol('VIDCACHE_OPTIONS');
/** Injection token of the ioredis client that the cache module creates and owns (`null` in memory-only mode). */
export const VIDCACHE_REDIS = Symbol('VIDCACHE_REDIS');

export const CACHEABLE_METADATA = 'vidcache:cacheable';
export const CACHE_EVICT_METADATA = 'vidcache:cache-evict';
export const CACHE_PUT_METADATA = 'vidcache:cache-put';
export const CACHE_CONFIG_METADATA = 'vidcache:cache-config';

export { META_SEGMENT } from '../redis/meta-keys.js';
/** Redis sets that index the keys carrying a tag: `<prefix>:%tag:<encoded tag>`. */
export const TAG_SEGMENT = '%tag';
/** The pub/sub channel suffix of the invalidation bus: `<prefix>:%bus`. */
export const BUS_SEGMENT = '%bus';

/** Namespace names: lower-case words joined by dashes (`order-lines`). */
export const NAMESPACE_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
