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

  /** Runs `fn` recording outcomes into `outcomes`, which the caller keeps to read afterwards. */
  runWith<T>(outcomes: CacheOutcome[], fn: () => T): T {
    return this.storage.run(outcomes, fn);
  }

  record(outcome: CacheOutcome): void {
    this.storage.getStore()?.push(outcome);
  }

  /** The outcomes recorded so far in the current context (empty outside one). */
  outcomes(): readonly CacheOutcome[] {
    return this.storage.getStore() ?? [];
  }
}
