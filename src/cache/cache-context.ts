import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';

/** Which tier answered one cache read. */
export type CacheTier = 'l1' | 'l2' | 'source' | 'stale' | 'bypass';

export interface CacheOutcome {
  readonly namespace: string;
  readonly tier: CacheTier;
  /** For `source`: whether the loaded value was stored. */
  readonly stored: boolean;
}

/**
 * The cache outcomes of the current request, kept in AsyncLocalStorage: the cache records what it
 * did and the HTTP layer turns it into a `Cache-Status` header, with nothing passed by hand.
 */
@Injectable()
export class CacheContext {
  private readonly storage = new AsyncLocalStorage<CacheOutcome[]>();

  /** Runs `fn` with a fresh record of outcomes. */
  run<T>(fn: () => T): T {
    return this.storage.run([], fn);
  }

  /**
   * Runs work that no request asked for (a predictive pre-load): its outcomes are recorded nowhere,
   * and its misses are counted as prefetches, not as requests that missed.
   */
  runInBackground<T>(fn: () => T): T {
    const outcomes: CacheOutcome[] & { background?: true } = [];
    outcomes.background = true;
    return this.storage.run(outcomes, fn);
  }

  /** Whether the current work runs in the background (see {@link runInBackground}). */
  inBackground(): boolean {
    return (this.storage.getStore() as { background?: true } | undefined)?.background === true;
  }

  /** Runs `fn` recording outcomes into `outcomes`, which the caller keeps to read afterwards. */
  runWith<T>(outcomes: CacheOutcome[], fn: () => T): T {
    return this.storage.run(outcomes, fn);
  }

  /**
   * Records an outcome in the current request's record. Returns false (recording nothing) for
   * background work, which callers then leave out of their request counters too.
   */
  record(outcome: CacheOutcome): boolean {
    const outcomes = this.storage.getStore() as (CacheOutcome[] & { background?: true }) | undefined;
    if (outcomes?.background) return false;
    outcomes?.push(outcome);
    return true;
  }

  /** The outcomes recorded so far in the current context (empty outside one). */
  outcomes(): readonly CacheOutcome[] {
    return this.storage.getStore() ?? [];
  }
}
