import { Inject } from '@nestjs/common';
import { META_SEGMENT, VIDCACHE_OPTIONS } from '../cache/index.js';

/** The part of the cache's resolved options that operational keys need. */
export interface CachePrefixOptions {
  readonly prefix: string;
}

/** Injects the cache's resolved options, typed as the prefix they carry. */
export const InjectCachePrefix = () => Inject(VIDCACHE_OPTIONS);

/**
 * A Redis key for operational state (locks, markers, rate-limit counters): `<prefix>:%meta:<parts>`.
 * Namespace names can never be `%meta`, so cache scans and pattern evictions never reach these keys.
 *
 * @example metaKey('vidcache', 'warmup', 'lock') === 'vidcache:%meta:warmup:lock'
 */
export const metaKey = (prefix: string, ...parts: readonly string[]) =>
  [prefix, META_SEGMENT, ...parts].join(':');
