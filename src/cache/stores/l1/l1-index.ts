import type { L1Entry } from '../memory.store.js';

/** Why an entry left a slice: `evict` is memory pressure, the others are explicit. */
export type L1RemovalReason = 'evict' | 'set' | 'delete';

/** Called for every entry that leaves a slice, whatever the reason. */
export type L1Dispose = (entry: L1Entry, key: string, reason: L1RemovalReason) => void;

/**
 * What a namespace slice needs from the structure that holds its entries and chooses what to
 * evict. Both policies provide it: `lru` is lru-cache itself, `tinylfu` is {@link WTinyLfuIndex}.
 * Both hold `max` entries and `maxSize` bytes at most, exactly, after every call.
 */
export interface L1Index {
  /** Entries held. */
  readonly size: number;
  /** Bytes held (the sum of the sizes given to `set`). */
  readonly calculatedSize: number;
  /** Bound in entries. */
  readonly max: number;
  /** Bound in bytes. */
  readonly maxSize: number;
  /** The entry under a key, recorded as an access (the policy learns from it). */
  get(key: string): L1Entry | undefined;
  /** The entry under a key, not recorded as an access (a second look within the same read). */
  peek(key: string): L1Entry | undefined;
  has(key: string): boolean;
  set(key: string, entry: L1Entry, options: { size: number }): unknown;
  delete(key: string): boolean;
  clear(): void;
  keys(): Iterable<string>;
}
