/**
 * The two tiers of the cache, as the stack calls them. Words used the same way throughout `cache/`:
 *
 * - a **tier** is a level of the cache: **L1**, this process's memory, or **L2**, Redis, shared by
 *   every replica. The stack reaches each through one interface below, and nothing else of it;
 * - a **store** is the class that implements a tier: `MemoryStore` (L1) and `RedisStore` (L2);
 * - a **slice** is one namespace's share of L1: its own index and byte budget, so a namespace can
 *   never crowd another out;
 * - L1 **drops** an entry (at once, in this process only); L2 **evicts** it, leaving tombstones and
 *   moving epochs so that a load on another replica that began earlier cannot store its older value.
 *
 * Keys given to a tier are full keys (`<prefix>:<namespace>:<key>`), except a slice's
 * `relativeKey`, which leaves out the namespace prefix (the hot path hashes fewer characters).
 */
import type { EvictionSet } from './eviction-set.js';
import type { L1Entry, L1SliceUsage, NamespaceSlice } from './stores/memory.store.js';
import type { L2Observation, L2Read } from './stores/redis.store.js';

/** What L1 is given to store under a key. */
export interface L1Put {
  /** A private copy: it is frozen in place. */
  value: unknown;
  freshUntil: number;
  /** How long past `freshUntil` the entry may still be served stale. */
  graceMs: number;
  tags?: readonly string[];
  /** When a hit starts an early refresh; `freshUntil` if unset. */
  refreshAfter?: number;
}

/** What L2 is given to store: an encoded entry under its full key, for `ttlMs`, with its tags. */
export interface L2Write {
  key: string;
  bytes: Buffer;
  ttlMs: number;
  tags?: readonly string[];
}

/** L1: synchronous, since it sits on the hot path; a hit makes no network call. */
export interface L1Tier {
  readonly maxBytes: number;
  readonly maxEntries: number;

  /** A namespace's slice, resolved once by the namespace registry; throws for an unknown name. */
  slice(namespace: string): NamespaceSlice;
  /** The hot-path lookup: the entry, fresh or within its grace period, counted as a hit or miss. */
  probe(slice: NamespaceSlice, relativeKey: string, now: number): L1Entry | undefined;
  /** The entry within its grace period, with nothing counted: a second look within one read. */
  peek(slice: NamespaceSlice, relativeKey: string, now: number): L1Entry | undefined;
  /** {@link probe} by namespace name and full key. */
  lookup(namespace: string, key: string, now: number): L1Entry | undefined;
  /** Stores a private copy of a value (frozen in place); returns the entry every caller will see. */
  put(namespace: string, key: string, entry: L1Put): L1Entry;

  drop(namespace: string, key: string): void;
  /** Drops the entries whose key, relative to the namespace, matches a glob; returns how many. */
  dropMatching(namespace: string, glob: string): number;
  dropTags(tags: readonly string[]): number;
  dropNamespace(namespace: string): void;
  dropAll(): void;

  /** The namespace of a full key, or `undefined` if the key is not one of ours. */
  namespaceOf(key: string): string | undefined;
  usage(): { entries: number; bytes: number; namespaces: Record<string, L1SliceUsage> };
}

/**
 * L2: every call is one network round trip or a few, and may fail; `GuardedL2` bounds, counts and
 * breaks the circuit around each of them, so the stack never calls an `L2Tier` bare.
 */
export interface L2Tier {
  read(key: string): Promise<L2Read>;
  /** What a later {@link storeIfUnchanged} compares against, given the key's state from {@link read}. */
  observe(namespace: string, state: string): Promise<L2Observation>;
  /** Stores a loaded value unless an eviction in `namespace` happened since `observed`; resolves whether it stored. */
  storeIfUnchanged(namespace: string, write: L2Write, observed: L2Observation): Promise<boolean>;
  /** Stores a value written to the source, unconditionally. */
  store(write: L2Write): Promise<void>;
  /** Removes one key outright (an entry that could not be decoded). */
  remove(key: string): Promise<void>;

  evictKeys(keys: readonly string[]): Promise<void>;
  /** Evicts the keys of a namespace matching a glob (relative to the namespace). */
  evictMatching(namespace: string, glob: string): Promise<number>;
  evictTags(tags: readonly string[]): Promise<number>;
  evictNamespace(namespace: string): Promise<number>;
  /** The fallback when an eviction was refused: plain deletes, no tombstones, no epochs. */
  removeOldValues(set: EvictionSet): Promise<void>;
  /**
   * Resolves once the connected replicas of the masters holding `keys` (`'all'`: every master) have
   * the writes sent so far; throws if they do not within `timeoutMs`.
   */
  replicated(keys: readonly string[] | 'all', timeoutMs: number): Promise<void>;

  /** The cross-replica load lock of a key: its token, or `undefined` when another replica holds it. */
  acquireLoadLock(key: string, ttlMs: number): Promise<string | undefined>;
  releaseLoadLock(key: string, token: string): Promise<void>;
}
