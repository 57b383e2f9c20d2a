import { Injectable } from '@nestjs/common';
import { encodeKey, fullKey, patternGlob, type CacheKey, type KeyPattern } from './cache-keys.js';
import { CacheStack } from './cache-stack.js';
import { evictionSet, type EvictionSet } from './eviction-set.js';
import { l2StatusOf, type L2Status } from './guarded-l2.js';
import type { WrapOptions } from './load.js';
import type { CacheNamespace } from './namespaces.js';
import { statsSnapshot, type CacheStatsSnapshot } from './stats-snapshot.js';
import type { StoreOptions } from './write-path.js';

export type { WrapOptions } from './load.js';
export type { CacheStatsSnapshot } from './stats-snapshot.js';
export type { L2Status } from './guarded-l2.js';

/**
 * The hybrid cache, as the rest of the service uses it: L1 (this process) in front of L2 (Redis,
 * shared by every replica) in front of the source. A thin facade: the layers behind it are built by
 * {@link CacheStack}; reads go through `ReadThroughHandler` and `Load`, writes and evictions
 * through `WritePath`, Redis through `GuardedL2`.
 *
 * Redis trouble never fails a read. A write may fail (503, `CacheUnavailableError`) when its
 * evictions cannot be made safe, so that no replica serves what it replaced once it has answered.
 */
@Injectable()
export class HybridCacheService {
  constructor(private readonly stack: CacheStack) {}

  /**
   * Returns the cached value, or loads it once (however many callers ask at the same time), stores
   * it in both tiers and returns it. Values returned are immutable; see `immutable-value.ts`.
   *
   * @example
   * const video = await cache.wrap(VIDEO_NAMESPACE, videoKey(id), () => repository.findById(id));
   */
  wrap<T>(
    namespace: string,
    key: CacheKey,
    loader: () => Promise<T> | T,
    options?: WrapOptions<T>,
  ): Promise<T> {
    return this.stack.reads.wrap(this.ns(namespace), key, loader, options);
  }

  /** The value under a key from L1 or L2, without loading; `undefined` on a miss. */
  async get<T>(namespace: string, key: CacheKey): Promise<T | undefined> {
    return await this.stack.reads.get<T>(this.ns(namespace), encodeKey(key));
  }

  /** Stores a value (after a write to the source: `@CachePut`), replacing what any replica holds. */
  async set(namespace: string, key: CacheKey, value: unknown, options?: StoreOptions): Promise<void> {
    const ns = this.ns(namespace);
    return this.stack.writes.store(ns, ns.keyPrefix + encodeKey(key), value, options);
  }

  async delete(namespace: string, key: CacheKey): Promise<void> {
    return this.deleteMany(namespace, [key]);
  }

  async deleteMany(namespace: string, keys: readonly CacheKey[]): Promise<void> {
    const ns = this.ns(namespace);
    return this.evict(evictionSet({ keys: keys.map((key) => ns.keyPrefix + encodeKey(key)) }));
  }

  /** Evicts the keys of a namespace matching a pattern; literal parts can never act as wildcards. */
  async deleteByPattern(namespace: string, pattern: KeyPattern): Promise<void> {
    const name = this.ns(namespace).name;
    return this.evict(evictionSet({ patterns: [[name, patternGlob(pattern)]] }));
  }

  async deleteByTag(tags: string | readonly string[]): Promise<void> {
    return this.evict(evictionSet({ tags: typeof tags === 'string' ? [tags] : [...tags] }));
  }

  /** Clears one namespace in L1, in Redis and on every replica; nothing outside it is touched. */
  async clearNamespace(namespace: string): Promise<void> {
    return this.evict(evictionSet({ namespaces: [this.ns(namespace).name] }));
  }

  /** Applies an eviction in L1, in Redis and on every replica. */
  private evict(set: EvictionSet): Promise<void> {
    return this.stack.writes.evict(set);
  }

  stats(): CacheStatsSnapshot {
    return statsSnapshot(this.stack);
  }

  /** Whether calls currently skip L2. */
  get l2Status(): L2Status {
    return l2StatusOf(this.stack.l2);
  }

  /** The full Redis key of an entry. */
  keyOf(namespace: string, key: CacheKey): string {
    return fullKey(this.stack.options.prefix, this.ns(namespace).name, key);
  }

  /**
   * Whether this replica's L1 holds an entry (fresh or within its grace period) under a full key
   * (see {@link keyOf}), without counting a read: the one way for tests and operators to look
   * inside L1.
   *
   * @example cache.inL1(cache.keyOf(VIDEO_NAMESPACE, videoKey(id)))
   */
  inL1(fullKey: string): boolean {
    const ns = this.stack.namespaces.ofKey(fullKey);
    return ns !== undefined && this.stack.l1.lookup(ns.name, fullKey, this.stack.options.now()) !== undefined;
  }

  /** Whether L1 holds a fresh value this replica may serve, by full key (no I/O: predictive warming). */
  isFresh(namespace: string, key: string): boolean {
    return this.stack.reads.isFresh(this.ns(namespace), key);
  }

  /** Throws, naming the configured namespaces, when `name` is not one of them. */
  assertNamespace(name: string): void {
    this.ns(name);
  }

  private ns(name: string): CacheNamespace {
    return this.stack.namespaces.get(name);
  }
}
