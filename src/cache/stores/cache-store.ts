import type { CacheKey, KeyPattern } from '../cache-keys.js';

export interface SetOptions {
  /** Overrides the namespace policy's TTL for this entry. */
  readonly ttlMs?: number;
  /** Tags the entry, so that `deleteByTag` can evict it with others. */
  readonly tags?: readonly string[];
}

/**
 * What every store does: the memory tier, the Redis tier and the hybrid cache in front of both.
 * One contract suite (`store-contract.ts`) runs against all three.
 *
 * `get` resolves `undefined` for a miss; `null` is a value like any other.
 */
export interface CacheStore {
  get<T>(namespace: string, key: CacheKey): Promise<T | undefined>;
  set(namespace: string, key: CacheKey, value: unknown, options?: SetOptions): Promise<void>;
  delete(namespace: string, key: CacheKey): Promise<void>;
  deleteMany(namespace: string, keys: readonly CacheKey[]): Promise<void>;
  deleteByPattern(namespace: string, pattern: KeyPattern): Promise<void>;
  deleteByTag(tags: string | readonly string[]): Promise<void>;
  clearNamespace(namespace: string): Promise<void>;
}
