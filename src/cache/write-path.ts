import { Logger } from '@nestjs/common';
import { deserialize } from 'node:v8';
import { encodeEntry, type EncodedEntry } from './cache-codec.js';
import { globMatcher, namespacePrefix } from './cache-keys.js';
import { notCacheable } from './cache.messages.js';
import { cacheTracing } from './cache-tracing.js';
import { evictionSet, evictionSetSize, type EvictionSet } from './eviction-set.js';
import type { EvictionGate } from './eviction-gate.js';
import type { Flights } from './flights.js';
import type { GuardedL2 } from './guarded-l2.js';
import type { CacheNamespace, NamespaceRegistry } from './namespaces.js';
import type { L1Tier } from './tiers.js';
import { jitter, l1PutOf, type StoredValue } from './ttl.js';

export interface StoreOptions {
  /** Overrides the namespace policy's TTL for this entry. */
  readonly ttlMs?: number;
  /** Tags the entry, so that a tag eviction can remove it with others. */
  readonly tags?: readonly string[];
}

/**
 * Writes and evictions: where an eviction reaches this replica's L1 and loads in flight, Redis, and
 * the other replicas, in that order.
 *
 * Order matters. The eviction gate is closed and L1 dropped first, so no read on this replica puts
 * back what Redis still holds; then Redis (tombstones, epochs: a load elsewhere that began before
 * cannot store its older value); then the bus; and only then is the gate opened again.
 */
export class WritePath {
  private readonly logger = new Logger('HybridCache');

  constructor(
    private readonly l1: L1Tier,
    private readonly l2: GuardedL2 | undefined,
    private readonly namespaces: NamespaceRegistry,
    private readonly gate: EvictionGate,
    private readonly flights: Flights,
    private readonly prefix: string,
    private readonly now: () => number,
  ) {}

  /**
   * Applies an eviction everywhere. Throws `CacheUnavailableError` when Redis could not be made to
   * forget the old values, so the write that caused it is not acknowledged as safe.
   */
  evict(set: EvictionSet): Promise<void> {
    if (evictionSetSize(set) === 0) return Promise.resolve();
    if (cacheTracing.on) return cacheTracing.evict(set, 'local', () => this.evictEverywhere(set));
    return this.evictEverywhere(set);
  }

  private async evictEverywhere(set: EvictionSet): Promise<void> {
    const scope = this.gate.begin(set);
    try {
      this.dropLocally(set);
      for (const key of set.keys) {
        const ns = this.namespaces.ofKey(key);
        if (ns) ns.counters.evictions++;
      }
      await this.l2?.evict(set);
    } finally {
      this.gate.end(scope);
    }
  }

  /** An eviction another replica made (and already applied to Redis). */
  evictedElsewhere(set: EvictionSet): void {
    if (cacheTracing.on) return cacheTracing.evict(set, 'remote', () => this.dropEvictedElsewhere(set));
    this.dropEvictedElsewhere(set);
  }

  private dropEvictedElsewhere(set: EvictionSet): void {
    this.gate.evictedElsewhere(set);
    this.dropLocally(set);
  }

  /** After the bus was interrupted or deaf: evictions may have been missed, so nothing local is trusted. */
  dropAllLocal(): void {
    this.gate.evictedEverything();
    this.l1.dropAll();
    this.flights.invalidateWhere(() => true);
  }

  /**
   * Stores a value after a write to the source (`@CachePut`), replacing what any replica holds: the
   * other replicas drop their L1 copy and read the new value from L2.
   */
  async store(ns: CacheNamespace, key: string, value: unknown, options?: StoreOptions): Promise<void> {
    const { policy } = ns;
    // Loads in flight for this key began before this write: their results are older.
    this.flights.invalidate(key);
    const ttlMs = jitter(options?.ttlMs ?? policy.l2TtlMs, policy);
    const freshUntil = this.now() + ttlMs;
    let encoded: EncodedEntry;
    try {
      encoded = await encodeEntry(value, freshUntil, policy.compressAboveBytes, options?.tags, ttlMs);
    } catch (error) {
      // The write to the source succeeded; the old entry goes, the new one is simply not cached.
      this.logger.warn(notCacheable(key, (error as Error).message));
      await this.evict(evictionSet({ keys: [key] }));
      return;
    }
    const stored = { value: deserialize(encoded.payload), freshUntil, ttlMs, tags: options?.tags };
    if (!this.l2) {
      this.putL1(ns, key, stored);
      return;
    }
    const scope = this.gate.begin(evictionSet({ keys: [key] }));
    try {
      try {
        await this.l2.store({
          key,
          bytes: encoded.bytes,
          ttlMs: ttlMs + policy.graceMs,
          tags: options?.tags,
        });
      } catch {
        // The new value could not be written: the old one must not be read anywhere instead.
        this.l1.drop(ns.name, key);
        await this.l2.evict(evictionSet({ keys: [key] }));
        return;
      }
      this.putL1(ns, key, stored);
    } finally {
      this.gate.end(scope);
    }
  }

  private putL1(ns: CacheNamespace, key: string, stored: StoredValue): void {
    this.l1.put(ns.name, key, l1PutOf(ns.policy, this.now(), stored));
    ns.counters.l1Writes++;
  }

  /** Drops evicted entries from L1 and marks loads in flight for them, so they do not store. */
  private dropLocally(set: EvictionSet): void {
    for (const key of set.keys) {
      const ns = this.namespaces.ofKey(key);
      if (ns) this.l1.drop(ns.name, key);
      this.flights.invalidate(key);
    }
    for (const [namespace, glob] of set.patterns) {
      if (!this.namespaces.has(namespace)) continue;
      this.l1.dropMatching(namespace, glob);
      const matches = globMatcher(namespacePrefix(this.prefix, namespace) + glob);
      this.flights.invalidateWhere((flight) => matches(flight.key));
    }
    if (set.tags.length > 0) {
      this.l1.dropTags(set.tags);
      this.flights.invalidateWhere((flight) => flight.tagged);
    }
    for (const namespace of set.namespaces) {
      if (!this.namespaces.has(namespace)) continue;
      this.l1.dropNamespace(namespace);
      this.flights.invalidateWhere((flight) => flight.namespace === namespace);
    }
  }
}
