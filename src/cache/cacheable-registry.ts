import { Injectable } from '@nestjs/common';
import type { CacheNamespace } from './namespaces.js';
import type { MISS } from './read-through.handler.js';
import type { L1Entry } from './stores/memory.store.js';

/** One call of a `@Cacheable` method, as an access observer sees it. */
export interface CacheableCall {
  /** `Class.method`: the method's stable name. */
  readonly label: string;
  readonly args: readonly unknown[];
  readonly namespace: CacheNamespace;
  /** The full key the call reads. */
  readonly key: string;
  /** Whether L1 answered it (known at once; a miss goes on to L2 and the source). */
  readonly l1Hit: boolean;
}

/**
 * Something that watches reads through `@Cacheable` methods, such as predictive warming. It is
 * called on the hot path, right after the read started: it must be cheap and must not throw.
 */
export interface CacheAccessObserver {
  observe(call: CacheableCall): void;
}

/** A `@Cacheable` method that can be called again by name, through the cache. */
export interface CacheableMethod {
  readonly label: string;
  readonly namespace: CacheNamespace;
  /** Calls the wrapped method (so through the cache) with these arguments. */
  invoke(args: readonly unknown[]): Promise<unknown>;
  /** The full key a call with these arguments reads. */
  keyOf(args: readonly unknown[]): string;
  /**
   * The L1 entry a call with these arguments would answer from right now, synchronously, if
   * `accept` takes its value; the hit is then counted and observed as the call's would be.
   * Otherwise {@link MISS}, with nothing counted: the caller is expected to make the call (see
   * `ReadThroughHandler.takeL1`).
   */
  takeL1(args: readonly unknown[], accept: (value: unknown) => boolean): L1Entry | typeof MISS;
}

/**
 * The `@Cacheable` methods the explorer wired, by label, and the optional access observer their
 * wrappers report to. Lets other modules (warm-up) call a cached method by name, and watch reads,
 * without the cache knowing about them.
 */
@Injectable()
export class CacheableRegistry {
  private readonly methods = new Map<string, CacheableMethod>();
  /** Set by whoever watches reads; `undefined` costs the hot path one property read. */
  observer: CacheAccessObserver | undefined;

  register(method: CacheableMethod): void {
    this.methods.set(method.label, method);
  }

  get(label: string): CacheableMethod | undefined {
    return this.methods.get(label);
  }
}
