/** What an eviction removes: full keys, globs within a namespace, tags, whole namespaces. */
export interface EvictionSet {
  readonly keys: readonly string[];
  readonly patterns: readonly (readonly [namespace: string, glob: string])[];
  readonly tags: readonly string[];
  readonly namespaces: readonly string[];
}

/** An eviction set with only the given parts; the others empty. */
export const evictionSet = (parts: Partial<EvictionSet> = {}): EvictionSet => ({
  keys: parts.keys ?? [],
  patterns: parts.patterns ?? [],
  tags: parts.tags ?? [],
  namespaces: parts.namespaces ?? [],
});

export const evictionSetSize = (set: EvictionSet) =>
  set.keys.length + set.patterns.length + set.tags.length + set.namespaces.length;

/**
 * Evictions that could not reach Redis, kept until it answers again and then replayed, so an old
 * value evicted during an outage is never served after it.
 *
 * Bounded: past `max` items, keys and patterns collapse into clears of their namespaces, and tags
 * (which may span namespaces) into a clear of every namespace. Collapsing evicts more than was
 * asked, never less.
 */
export class PendingEvictions {
  private keys = new Set<string>();
  private patterns = new Map<string, [string, string]>();
  private tags = new Set<string>();
  private namespaces = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly namespaceOf: (key: string) => string | undefined,
    private readonly allNamespaces: () => readonly string[],
  ) {}

  get size(): number {
    return this.keys.size + this.patterns.size + this.tags.size + this.namespaces.size;
  }

  add(set: EvictionSet): void {
    for (const namespace of set.namespaces) this.namespaces.add(namespace);
    for (const key of set.keys) {
      const namespace = this.namespaceOf(key);
      if (namespace === undefined || !this.namespaces.has(namespace)) this.keys.add(key);
    }
    for (const [namespace, glob] of set.patterns) {
      if (!this.namespaces.has(namespace)) this.patterns.set(`${namespace}\u0000${glob}`, [namespace, glob]);
    }
    for (const tag of set.tags) this.tags.add(tag);
    if (this.size > this.max) this.collapse();
  }

  /** Removes and returns everything pending. */
  take(): EvictionSet {
    const set: EvictionSet = {
      keys: [...this.keys],
      patterns: [...this.patterns.values()],
      tags: [...this.tags],
      namespaces: [...this.namespaces],
    };
    this.keys = new Set();
    this.patterns = new Map();
    this.tags = new Set();
    this.namespaces = new Set();
    return set;
  }

  private collapse(): void {
    if (this.tags.size > 0) {
      for (const namespace of this.allNamespaces()) this.namespaces.add(namespace);
      this.tags.clear();
    }
    for (const key of this.keys) {
      const namespace = this.namespaceOf(key);
      if (namespace !== undefined) this.namespaces.add(namespace);
    }
    for (const [namespace] of this.patterns.values()) this.namespaces.add(namespace);
    this.keys.clear();
    this.patterns.clear();
  }
}
