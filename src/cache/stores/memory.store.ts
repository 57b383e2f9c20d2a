import { LRUCache } from 'lru-cache';
import { globMatcher, namespacePrefix, sequentialCopy } from '../cache-keys.js';
import type { ResolvedCacheOptions } from '../cache-options.js';
import type { L1Eviction, ResolvedPolicy } from '../cache-policy.js';
import { unknownNamespace } from '../cache.messages.js';
import { makeImmutable } from '../immutable-value.js';
import type { L1Put, L1Tier } from '../tiers.js';
import { hashKey } from './l1/frequency-sketch.js';
import { GhostList } from './l1/ghost-list.js';
import type { L1Index } from './l1/l1-index.js';
import { WTinyLfuIndex } from './l1/w-tinylfu.index.js';

/** An L1 entry. `value` is immutable (see `immutable-value.ts`), or cloned on every read. */
export interface L1Entry {
  readonly value: unknown;
  readonly freshUntil: number;
  /** A hit after this (and before `freshUntil`) refreshes the entry in the background. */
  readonly refreshAfter: number;
  /** Kept until then for stale-if-error, then dropped. */
  readonly staleUntil: number;
  readonly bytes: number;
  readonly cloneOnRead: boolean;
  readonly tags: readonly string[] | undefined;
  /**
   * The value's JSON, once an answer has needed it (the HTTP hit lane's), for a value that is not
   * `cloneOnRead`: kept on the entry, which the hit has in hand, rather than looked up by value in
   * a `WeakMap` (`jsonOf`) on every hit. The value never changes, so neither does its JSON.
   */
  json: string | undefined;
}

/** An L1 entry's value as a caller may receive it: its own clone, when the value is cloned on read. */
export const readEntry = (entry: L1Entry) => (entry.cloneOnRead ? structuredClone(entry.value) : entry.value);

// Fixed cost of an entry beyond its value: the key, the entry record and the LRU's bookkeeping.
const ENTRY_OVERHEAD_BYTES = 160;

/** Per-namespace figures of L1, as {@link MemoryStore.usage} reports them. */
export interface L1SliceUsage {
  entries: number;
  bytes: number;
  maxBytes: number;
  pressureEvictions: number;
  eviction: L1Eviction;
  /** Lookups since start (hits + misses), the base of the two ratios below. */
  lookups: number;
  /** Share of lookups L1 answered; 0 before any lookup. */
  hitRatio: number;
  /**
   * Estimated share of lookups L1 would answer with twice its entries and bytes (the hits, plus
   * the misses on recently evicted keys); 0 before any lookup. Well above `hitRatio`: a larger L1
   * pays; close to it: the slice is big enough.
   */
  hitRatioAt2x: number;
}

/**
 * One namespace's slice of L1: its own index, so a namespace can never crowd the others out. The
 * index is keyed by the key relative to the namespace (`video:vid_1`, not
 * `vidcache:video:video:vid_1`): a hit hashes a freshly built key string, and hashing costs by the
 * character. The policy's `eviction` chooses the index: W-TinyLFU (the default) or lru-cache's LRU.
 */
export class NamespaceSlice {
  /** The entries and the eviction policy (named `lru` since it was only that; see {@link L1Index}). */
  readonly lru: L1Index;
  /** Evictions by the policy (memory pressure), as opposed to explicit deletes. */
  pressureEvictions = 0;
  /** Lookups that found an entry (fresh or within grace). */
  hits = 0;
  /** Recently evicted keys, and the misses: with {@link hits}, the hit ratio at twice the size. */
  readonly ghosts: GhostList;

  constructor(
    readonly policy: ResolvedPolicy,
    readonly prefix: string,
    maxBytes: number,
    maxEntries: number,
    onDispose: (key: string, entry: L1Entry) => void,
  ) {
    this.ghosts = new GhostList(maxEntries, maxBytes);
    const dispose = (entry: L1Entry, key: string, reason: string) => {
      if (reason === 'evict') {
        this.pressureEvictions++;
        this.ghosts.add(hashKey(key), entry.bytes);
      }
      onDispose(prefix + key, entry);
    };
    this.lru =
      policy.eviction === 'lru'
        ? new LRUCache<string, L1Entry>({
            max: maxEntries,
            maxSize: maxBytes,
            maxEntrySize: maxBytes,
            dispose,
          })
        : new WTinyLfuIndex(maxEntries, maxBytes, dispose);
  }

  get lookups(): number {
    return this.hits + this.ghosts.misses;
  }

  /** Share of lookups answered; 0 before any. */
  hitRatio(): number {
    return this.lookups === 0 ? 0 : this.hits / this.lookups;
  }

  /** Estimated share of lookups a slice twice as large would answer; 0 before any. */
  hitRatioAt2x(): number {
    return this.lookups === 0 ? 0 : (this.hits + this.ghosts.ghostHits) / this.lookups;
  }
}

/** A full key (`<prefix>:<namespace>:<key>`) made relative to its namespace's slice. */
const relative = (slice: NamespaceSlice, fullKey: string) => fullKey.slice(slice.prefix.length);

/**
 * L1: an in-process store bounded by entries and by bytes, evicting by each namespace's policy
 * (W-TinyLFU by default, LRU on request; see `l1/w-tinylfu.index.ts`). Each
 * namespace gets its share of both budgets (its policy's `l1Share`, normalised so the shares never
 * add up to more than the whole). Entries are indexed by tag so tag evictions do not scan.
 */
export class MemoryStore implements L1Tier {
  private readonly slices = new Map<string, NamespaceSlice>();
  private readonly tagIndex = new Map<string, Set<string>>();
  readonly maxBytes: number;
  readonly maxEntries: number;

  constructor(private readonly options: ResolvedCacheOptions) {
    this.maxBytes = options.l1.maxBytes;
    this.maxEntries = options.l1.maxEntries;
    const totalShare = [...options.policies.values()].reduce((sum, p) => sum + p.l1Share, 0);
    const scale = totalShare > 1 ? 1 / totalShare : 1;
    for (const policy of options.policies.values()) {
      const share = policy.l1Share * scale;
      const slice = new NamespaceSlice(
        policy,
        namespacePrefix(options.prefix, policy.namespace),
        Math.max(1, Math.floor(this.maxBytes * share)),
        Math.max(1, Math.floor(this.maxEntries * share)),
        (key, entry) => this.unindex(key, entry),
      );
      this.slices.set(policy.namespace, slice);
    }
  }

  /** The entry under a full key, fresh or stale; `undefined` once past its grace period. */
  lookup(namespace: string, key: string, now: number): L1Entry | undefined {
    const slice = this.slice(namespace);
    return this.probe(slice, relative(slice, key), now);
  }

  /**
   * {@link lookup} for the hot path: a slice already resolved and a key relative to its namespace
   * (`encodeKey(key)`, without the namespace prefix).
   */
  probe(slice: NamespaceSlice, relativeKey: string, now: number): L1Entry | undefined {
    const entry = slice.lru.get(relativeKey);
    if (entry !== undefined && entry.staleUntil > now) {
      slice.hits++;
      return entry;
    }
    // A miss: hashing the key here (never on a hit) tells whether a larger L1 would have held it.
    if (entry !== undefined) slice.lru.delete(relativeKey);
    slice.ghosts.missed(hashKey(relativeKey));
    return undefined;
  }

  /**
   * A second look at a key within a read that {@link probe} already counted (the hit path missed,
   * the read-through looks again), or a look that is not a read at all: the entry if it is within
   * its grace period, with nothing counted and no access recorded. Counting it would make every
   * read that misses count twice, and the hit ratios (and the estimate at 2x) read low.
   */
  peek(slice: NamespaceSlice, relativeKey: string, now: number): L1Entry | undefined {
    const entry = slice.lru.peek(relativeKey);
    return entry !== undefined && entry.staleUntil > now ? entry : undefined;
  }

  /**
   * Stores a value under a full key. The value must be a private copy: it is frozen in place.
   * Returns the entry, whose `value` is what every caller will see.
   */
  put(namespace: string, key: string, put: L1Put): L1Entry {
    const { value, freshUntil, graceMs, tags, refreshAfter = freshUntil } = put;
    const slice = this.slice(namespace);
    const immutable = makeImmutable(value);
    const entry: L1Entry = {
      value: immutable.value,
      freshUntil,
      refreshAfter,
      staleUntil: freshUntil + graceMs,
      bytes: immutable.bytes + ENTRY_OVERHEAD_BYTES + key.length * 2,
      cloneOnRead: immutable.cloneOnRead,
      tags: tags && tags.length > 0 ? tags : undefined,
      json: undefined,
    };
    // Too large for its namespace's budget: served, but never stored. What the key held before is
    // older than this value, so it goes (as lru-cache itself would do).
    if (entry.bytes > slice.lru.maxSize) {
      slice.lru.delete(relative(slice, key));
      return entry;
    }
    // Kept sequential: an L1 hit compares the key it asks for with this one (see sequentialCopy).
    const relativeKey = sequentialCopy(relative(slice, key));
    slice.lru.set(relativeKey, entry, { size: entry.bytes });
    // W-TinyLFU may turn a newcomer away at once; only a stored entry may be reached by its tags.
    if (entry.tags && slice.lru.has(relativeKey)) for (const tag of entry.tags) this.index(tag, key);
    return entry;
  }

  drop(namespace: string, key: string): void {
    const slice = this.slices.get(namespace);
    slice?.lru.delete(relative(slice, key));
  }

  /** Drops the entries whose key (relative to the namespace) matches a glob. */
  dropMatching(namespace: string, glob: string): number {
    const slice = this.slice(namespace);
    const matches = globMatcher(glob);
    let dropped = 0;
    // A snapshot: the LRU's own iterator must not see deletions it did not make.
    for (const key of Array.from(slice.lru.keys())) if (matches(key) && slice.lru.delete(key)) dropped++;
    return dropped;
  }

  dropTags(tags: readonly string[]): number {
    let dropped = 0;
    for (const tag of tags) {
      const keys = this.tagIndex.get(tag);
      if (!keys) continue;
      for (const key of keys) {
        const namespace = this.namespaceOf(key);
        const slice = namespace === undefined ? undefined : this.slices.get(namespace);
        if (slice?.lru.delete(relative(slice, key))) dropped++;
      }
      this.tagIndex.delete(tag);
    }
    return dropped;
  }

  dropNamespace(namespace: string): void {
    const slice = this.slice(namespace);
    slice.lru.clear();
    // A cleared slice would be as empty at twice the size: its ghosts no longer count.
    slice.ghosts.clear();
  }

  dropAll(): void {
    for (const slice of this.slices.values()) {
      slice.lru.clear();
      slice.ghosts.clear();
    }
  }

  /** The namespace of a full key, or `undefined` if the key is not one of ours. */
  namespaceOf(key: string): string | undefined {
    const start = this.options.prefix.length + 1;
    if (!key.startsWith(this.options.prefix) || key[start - 1] !== ':') return undefined;
    const end = key.indexOf(':', start);
    const namespace = end === -1 ? undefined : key.slice(start, end);
    return namespace !== undefined && this.slices.has(namespace) ? namespace : undefined;
  }

  /** Entries and bytes held, in total and per namespace, with each slice's hit ratios (1× and 2×). */
  usage(): { entries: number; bytes: number; namespaces: Record<string, L1SliceUsage> } {
    let entries = 0;
    let bytes = 0;
    const namespaces: Record<string, L1SliceUsage> = {};
    for (const [name, slice] of this.slices) {
      entries += slice.lru.size;
      bytes += slice.lru.calculatedSize;
      namespaces[name] = {
        entries: slice.lru.size,
        bytes: slice.lru.calculatedSize,
        maxBytes: slice.lru.maxSize,
        pressureEvictions: slice.pressureEvictions,
        eviction: slice.policy.eviction,
        lookups: slice.lookups,
        hitRatio: slice.hitRatio(),
        hitRatioAt2x: slice.hitRatioAt2x(),
      };
    }
    return { entries, bytes, namespaces };
  }

  slice(namespace: string): NamespaceSlice {
    const slice = this.slices.get(namespace);
    if (!slice) throw new Error(unknownNamespace(namespace, [...this.slices.keys()]));
    return slice;
  }

  private index(tag: string, key: string): void {
    let keys = this.tagIndex.get(tag);
    if (!keys) this.tagIndex.set(tag, (keys = new Set()));
    keys.add(key);
  }

  private unindex(key: string, entry: L1Entry): void {
    if (!entry.tags) return;
    for (const tag of entry.tags) {
      const keys = this.tagIndex.get(tag);
      if (keys?.delete(key) && keys.size === 0) this.tagIndex.delete(tag);
    }
  }
}
