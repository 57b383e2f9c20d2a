import type { CacheKey, KeyPattern } from '../cache-keys.js';

/** Options of {@link Cacheable}. `A` is the method's parameter list, `R` what its promise resolves to. */
export interface CacheableOptions<A extends unknown[] = unknown[], R = unknown> {
  /** Policy namespace; defaults to the class's `@CacheConfig`. */
  namespace?: string;
  /** The key within the namespace, from the arguments. Default: the method name and the arguments. */
  key?: (...args: A) => CacheKey;
  /** TTL in milliseconds; defaults to the namespace policy's. */
  ttl?: number;
  /** Checked before the call: false bypasses the cache (neither read nor stored). */
  condition?: (...args: A) => boolean;
  /** Checked after the call: true returns the result without storing it. */
  unless?: (result: R, ...args: A) => boolean;
  /** Tags for `@CacheEvict({ tags })` and `deleteByTag`. */
  tags?: (result: R, ...args: A) => readonly string[];
}

/** Options of {@link CacheEvict}. Key functions receive the method's arguments. */
export interface CacheEvictOptions<A extends unknown[] = unknown[]> {
  namespace?: string;
  /** One key to evict. */
  key?: (...args: A) => CacheKey;
  /** Several keys to evict. */
  keys?: (...args: A) => readonly CacheKey[];
  /** Patterns within the namespace; literal parts never act as wildcards (see `ANY`). */
  patterns?: (...args: A) => readonly KeyPattern[];
  /** Tags to evict, in every namespace. */
  tags?: (...args: A) => readonly string[];
  /** Clears the whole namespace (this namespace only, never the Redis database). */
  allEntries?: boolean;
  /** Evict before the call (even if it then throws). Default: after it succeeds. */
  beforeInvocation?: boolean;
  /** Checked before the call: false skips the eviction. */
  condition?: (...args: A) => boolean;
}

/** Options of {@link CachePut}: the result is stored under `key`, which may depend on it. */
export interface CachePutOptions<A extends unknown[] = unknown[], R = unknown> {
  namespace?: string;
  /** The key, from the result and the arguments (a created entity's id comes from its result). */
  key: (result: R, ...args: A) => CacheKey;
  ttl?: number;
  unless?: (result: R, ...args: A) => boolean;
  tags?: (result: R, ...args: A) => readonly string[];
}

/** Class-level defaults for the cache decorators of its methods. */
export interface CacheConfigOptions {
  namespace: string;
  ttl?: number;
}

/**
 * A method decorator accepted only on methods that return a promise of `R` and whose parameters
 * begin with `A` (the parameters the option functions declare; later ones may follow).
 */
export type AsyncMethodDecorator<A extends unknown[], R> = <
  M extends (...args: [...A, ...never[]]) => Promise<R>,
>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void;
