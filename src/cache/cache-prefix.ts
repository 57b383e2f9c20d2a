import { Inject } from '@nestjs/common';
import { VIDCACHE_OPTIONS } from './cache.constants.js';

/** The part of the cache's resolved options that operational keys need. */
export interface CachePrefixOptions {
  readonly prefix: string;
}

/** Injects the cache's resolved options, typed as the prefix they carry (for `metaKey`). */
export const InjectCachePrefix = () => Inject(VIDCACHE_OPTIONS);
