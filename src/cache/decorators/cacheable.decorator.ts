import { CACHEABLE_METADATA } from '../cache.constants.js';
import type { AsyncMethodDecorator, CacheableOptions } from './cache-options.types.js';

/**
 * Caches what the method resolves to. On a hit the method is not called; concurrent calls for the
 * same key run it once. The decorator only records metadata; `CacheExplorer` wires it at bootstrap.
 *
 * @example
 * @Cacheable({ namespace: VIDEO_NAMESPACE, key: (id: string) => videoKey(id) })
 * findVideo(id: string): Promise<Video | null> { return this.repository.findById(id); }
 */
export function Cacheable<A extends unknown[] = [], R = unknown>(
  options: CacheableOptions<A, R> = {},
): AsyncMethodDecorator<A, R> {
  return (_target, _propertyKey, descriptor) => {
    Reflect.defineMetadata(CACHEABLE_METADATA, options, descriptor.value!);
  };
}
