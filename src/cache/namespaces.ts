import { namespacePrefix } from './cache-keys.js';
import type { CacheOutcome, CacheTier } from './cache-context.js';
import type { ResolvedCacheOptions } from './cache-options.js';
import type { ResolvedPolicy } from './cache-policy.js';
import { NamespaceCounters } from './cache-stats.js';
import { unknownNamespace } from './cache.messages.js';
import type { NamespaceSlice } from './stores/memory.store.js';
import type { L1Tier } from './tiers.js';

/** A namespace as the stack sees it: resolved once, so a hit does no lookups by name. */
export interface CacheNamespace {
  readonly name: string;
  readonly policy: ResolvedPolicy;
  readonly keyPrefix: string;
  /** Its slice of L1, resolved once for the hit path. */
  readonly l1: NamespaceSlice;
  readonly counters: NamespaceCounters;
  /** Pre-built outcomes, so recording a hit allocates nothing. */
  readonly outcomes: Readonly<Record<'l1' | 'l2' | 'stale' | 'bypass', CacheOutcome>>;
}

/** The namespaces of the cache, by name, resolved once. */
export class NamespaceRegistry {
  private readonly byName = new Map<string, CacheNamespace>();

  constructor(
    options: ResolvedCacheOptions,
    private readonly l1: L1Tier,
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
}
