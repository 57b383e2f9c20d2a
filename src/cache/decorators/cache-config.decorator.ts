import { SetMetadata } from '@nestjs/common';
import { CACHE_CONFIG_METADATA } from '../cache.constants.js';
import type { CacheConfigOptions } from './cache-options.types.js';

/**
 * Class-level defaults (namespace, TTL) for the cache decorators of its methods.
 *
 * @example
 * @CacheConfig({ namespace: VIDEO_NAMESPACE })
 * @Injectable()
 * export class VideosService { ... }
 */
export const CacheConfig = (options: CacheConfigOptions): ClassDecorator =>
  SetMetadata(CACHE_CONFIG_METADATA, options);
