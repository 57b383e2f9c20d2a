import { namespacePrefix } from './cache-keys.js';
import type { CacheOutcome, CacheTier } from './cache-context.js';
import type { ResolvedCacheOptions } from './cache-options.js';
import type { ResolvedPolicy } from './cache-policy.js';
import { NamespaceCounters } from './cache-stats.js';
import { unknownNamespace } from './cache.messages.js';
import type { EvictionSet } from './eviction-set.js';
import type { MemoryStore, NamespaceSlice } from './stores/memory.store.js';

/**
 * A namespace as the stack sees it: resolved once, so a hit does no lookups by name.
 *
 * `generation` and `evicting` are the namespace's eviction gate (see {@link NamespaceRegistry.fillToken}).
 */
export interface CacheNamespace {
  readonly name: string;
  readonly policy: ResolvedPolicy;
  readonly keyPrefix: string;
  /** Its slice of L1, resolved once for the hit path. */
  readonly l1: NamespaceSlice;
  readonly counters: NamespaceCounters;
  /** Pre-built outcomes, so recording a hit allocates nothing. */
  readonly outcomes: Readonly<Record<'l1' | 'l2' | 'stale' | 'bypass', CacheOutcome>>;
  /** Moves whenever an eviction touching this namespace starts or ends. */
  generation: number;
  /** Evictions touching this namespace that have started here and not yet reached Redis. */
  evicting: number;
}

/** A fill token that never allows a fill: an eviction was under way when it was taken. */
const NO_FILL = -1;

/**
 * The namespaces of the cache, by name, and the gate that keeps an L1 fill from resurrecting what
 * an eviction removed.
 *
 * The gate closes the race where a read misses L1 just after an eviction dropped the key there,
 * and reads Redis before the eviction's tombstone has landed: the value it finds is the old one. A
 * read takes a token before it reads Redis; it may copy what it read into L1 only if no eviction
 * of the namespace was under way when it took the token and none started or ended since.
 */
export class NamespaceRegistry {
  private readonly byName = new Map<string, CacheNamespace>();

  constructor(
    options: ResolvedCacheOptions,
    private readonly l1: MemoryStore,
  ) {
    for (const policy of options.policies.values()) {
      const name = policy.namespace;
      const outcome = (tier: CacheTier): CacheOutcome => ({ namespace: name, tier, stored: false });
      this.byName.set(name, {
        name,
        policy,
        keyPrefix: namespacePrefix(options.prefix, name),
        l1: l1.slice(name),
        counters: new NamespaceCounters(),
        outcomes: {
          l1: outcome('l1'),
          l2: outcome('l2'),
          stale: outcome('stale'),
          bypass: outcome('bypass'),
        },
        generation: 0,
        evicting: 0,
      });
    }
  }

  /** The resolved namespace; throws, naming the known ones, for an unknown name. */
  get(name: string): CacheNamespace {
    const namespace = this.byName.get(name);
    if (!namespace) throw new Error(unknownNamespace(name, this.names()));
    return namespace;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The namespace of a full key, if it is one of ours. */
  ofKey(key: string): CacheNamespace | undefined {
    const name = this.l1.namespaceOf(key);
    return name === undefined ? undefined : this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  all(): IterableIterator<CacheNamespace> {
    return this.byName.values();
  }

  // ---- the eviction gate ----

  /** Taken before a read of Redis; see {@link mayFill}. */
  fillToken(ns: CacheNamespace): number {
    return ns.evicting > 0 ? NO_FILL : ns.generation;
  }

  /** Whether a value read after `token` was taken may still be copied into L1. */
  mayFill(ns: CacheNamespace, token: number): boolean {
    return token !== NO_FILL && token === ns.generation && ns.evicting === 0;
  }

  /** The namespaces an eviction touches (a tag may span them all). */
  touched(set: EvictionSet): CacheNamespace[] {
    if (set.tags.length > 0) return [...this.byName.values()];
    const touched = new Set<CacheNamespace>();
    for (const key of set.keys) {
      const ns = this.ofKey(key);
      if (ns) touched.add(ns);
    }
    for (const [name] of set.patterns) if (this.byName.has(name)) touched.add(this.byName.get(name)!);
    for (const name of set.namespaces) if (this.byName.has(name)) touched.add(this.byName.get(name)!);
    return [...touched];
  }

  /** An eviction starts here: fills of these namespaces wait until it has reached Redis. */
  beginEviction(touched: readonly CacheNamespace[]): void {
    for (const ns of touched) {
      ns.generation++;
      ns.evicting++;
    }
  }

  /** The eviction begun with {@link beginEviction} has reached Redis (or failed for good). */
  endEviction(touched: readonly CacheNamespace[]): void {
    for (const ns of touched) {
      ns.generation++;
      ns.evicting--;
    }
  }

  /** An eviction heard from another replica (already in Redis): reads under way must not fill. */
  evictedElsewhere(touched: readonly CacheNamespace[]): void {
    for (const ns of touched) ns.generation++;
  }
}
