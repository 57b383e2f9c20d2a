import type { EvictionSet } from './eviction-set.js';
import type { CacheNamespace, NamespaceRegistry } from './namespaces.js';

/**
 * Taken by a read before it reads Redis (or the source); `undefined` when an eviction that may
 * cover the key is under way, so nothing the read finds may go into L1.
 */
export interface FillToken {
  /** The namespace's wide-eviction generation (patterns, tags, whole namespaces). */
  readonly generation: number;
  /** The gate's key-eviction sequence number. */
  readonly seq: number;
}

/** What one eviction holds closed until it has reached Redis. */
export interface GateScope {
  readonly keys: readonly string[];
  readonly wide: readonly CacheNamespace[];
}

interface WideState {
  generation: number;
  evicting: number;
}

/**
 * Keeps an L1 fill from resurrecting what an eviction removed.
 *
 * The race it closes: a read misses L1 just after an eviction dropped the key there, and reads
 * Redis before the eviction's tombstone has landed, so the value it finds is the old one. A read
 * takes a {@link FillToken} before it reads Redis; it may copy what it read into L1 only if no
 * eviction that may cover its key was under way then, and none started or ended since.
 *
 * Key evictions are tracked per key (a bounded record: a key that fell out of it counts as
 * evicted at the oldest time the record still covers, which errs towards not filling); pattern,
 * tag and namespace evictions per namespace.
 */
export class EvictionGate {
  private readonly wide = new Map<string, WideState>();
  /** Keys with an eviction under way here, and how many. */
  private readonly evicting = new Map<string, number>();
  /** When each recently evicted key's last eviction started or ended (in `seq` numbers). */
  private readonly lastEvicted = new Map<string, number>();
  /** Every key that fell out of `lastEvicted` was evicted at or before this. */
  private floor = 0;
  private seq = 0;

  constructor(
    private readonly namespaces: NamespaceRegistry,
    private readonly maxKeys = 10_000,
  ) {
    for (const ns of namespaces.all()) this.wide.set(ns.name, { generation: 0, evicting: 0 });
  }

  token(ns: CacheNamespace, key: string): FillToken | undefined {
    const wide = this.wide.get(ns.name)!;
    if (wide.evicting > 0 || this.evicting.has(key)) return undefined;
    return { generation: wide.generation, seq: this.seq };
  }

  mayFill(ns: CacheNamespace, key: string, token: FillToken | undefined): boolean {
    if (token === undefined) return false;
    const wide = this.wide.get(ns.name)!;
    if (wide.evicting > 0 || wide.generation !== token.generation || this.evicting.has(key)) return false;
    return (this.lastEvicted.get(key) ?? this.floor) <= token.seq;
  }

  /** An eviction starts here: fills it may cover wait until it has reached Redis ({@link end}). */
  begin(set: EvictionSet): GateScope {
    const scope: GateScope = { keys: set.keys, wide: this.wideOf(set) };
    for (const key of scope.keys) {
      this.evicting.set(key, (this.evicting.get(key) ?? 0) + 1);
      this.touch(key);
    }
    for (const ns of scope.wide) {
      const wide = this.wide.get(ns.name)!;
      wide.generation++;
      wide.evicting++;
    }
    return scope;
  }

  end(scope: GateScope): void {
    for (const key of scope.keys) {
      const count = this.evicting.get(key)! - 1;
      if (count === 0) this.evicting.delete(key);
      else this.evicting.set(key, count);
      this.touch(key);
    }
    for (const ns of scope.wide) {
      const wide = this.wide.get(ns.name)!;
      wide.generation++;
      wide.evicting--;
    }
  }

  /** An eviction heard from another replica (already in Redis): reads under way must not fill. */
  evictedElsewhere(set: EvictionSet): void {
    for (const key of set.keys) this.touch(key);
    for (const ns of this.wideOf(set)) this.wide.get(ns.name)!.generation++;
  }

  /** Everything local is distrusted (missed evictions): no read under way may fill. */
  evictedEverything(): void {
    for (const wide of this.wide.values()) wide.generation++;
  }

  private touch(key: string): void {
    this.lastEvicted.delete(key);
    this.lastEvicted.set(key, ++this.seq);
    if (this.lastEvicted.size > this.maxKeys) {
      const [oldest, at] = this.lastEvicted.entries().next().value!;
      this.lastEvicted.delete(oldest);
      this.floor = Math.max(this.floor, at);
    }
  }

  /** The namespaces an eviction's wide parts touch (a tag may span them all). */
  private wideOf(set: EvictionSet): CacheNamespace[] {
    if (set.tags.length > 0) return [...this.namespaces.all()];
    const touched = new Set<CacheNamespace>();
    for (const [name] of set.patterns) if (this.namespaces.has(name)) touched.add(this.namespaces.get(name));
    for (const name of set.namespaces) if (this.namespaces.has(name)) touched.add(this.namespaces.get(name));
    return [...touched];
  }
}
