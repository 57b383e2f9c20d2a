import { CACHE_EVICT_METADATA } from '../cache.constants.js';
import type { AsyncMethodDecorator, CacheEvictOptions } from './cache-options.types.js';

/**
 * Evicts entries after the method succeeds (nothing is evicted when it throws), or before it with
 * `beforeInvocation`. May be repeated on one method, for several namespaces.
 *
 * @example
 * @CacheEvict({ namespace: VIDEO_NAMESPACE, key: (id: string) => videoKey(id) })
 * @CacheEvict({ namespace: SEARCH_NAMESPACE, allEntries: true })
 * async updateVideo(id: string, patch: UpdateVideoDto): Promise<Video> { ... }
 */
export function CacheEvict<A extends unknown[] = []>(
  options: CacheEvictOptions<A>,
): AsyncMethodDecorator<A, unknown> {
  return (_target, _propertyKey, descriptor) => {
    const existing =
      (Reflect.getMetadata(CACHE_EVICT_METADATA, descriptor.value!) as CacheEvictOptions<A>[]) ?? [];
    Reflect.defineMetadata(CACHE_EVICT_METADATA, [...existing, options], descriptor.value!);
  };
}
