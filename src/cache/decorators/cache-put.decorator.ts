import { CACHE_PUT_METADATA } from '../cache.constants.js';
import type { AsyncMethodDecorator, CachePutOptions } from './cache-options.types.js';

/**
 * Always calls the method, then stores its result (replacing the entry on every replica).
 *
 * @example
 * @CachePut({ namespace: USER_NAMESPACE, key: (user: User) => profileKey(user.id) })
 * createUser(dto: CreateUserDto): Promise<User> { ... }
 */
export function CachePut<A extends unknown[], R>(options: CachePutOptions<A, R>): AsyncMethodDecorator<A, R> {
  return (_target, _propertyKey, descriptor) => {
    const existing =
      (Reflect.getMetadata(CACHE_PUT_METADATA, descriptor.value!) as CachePutOptions<A, R>[]) ?? [];
    Reflect.defineMetadata(CACHE_PUT_METADATA, [...existing, options], descriptor.value!);
  };
}
