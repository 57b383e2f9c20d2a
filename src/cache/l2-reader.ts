import { Logger } from '@nestjs/common';
import { CacheDecodeError, decodeEntry, decodeEntryNow, type DecodedEntry } from './cache-codec.js';
import { undecodable } from './cache.messages.js';
import type { Flight } from './flights.js';
import type { GuardedL2 } from './guarded-l2.js';
import { makeImmutable } from './immutable-value.js';
import type { EvictionGate, FillToken } from './eviction-gate.js';
import type { CacheNamespace } from './namespaces.js';
import { readEntry, type L1Entry } from './stores/memory.store.js';
import type { L1Tier } from './tiers.js';
import { valueState, type L2Observation, type L2Read } from './stores/redis.store.js';
import { l1PutOf } from './ttl.js';

/**
 * What a read of L2 found: a fresh value (`value`, and `entry` when it was also copied into L1), a
 * stale one kept for stale-if-error, and what L2 held, for the conditional store of a load.
 */
export interface L2ReadResult {
  readonly fresh?: { readonly value: unknown; readonly entry: L1Entry | undefined };
  readonly stale?: { readonly value: unknown; readonly freshUntil: number };
  readonly observed?: L2Observation;
}

const NOTHING_IN_L2: L2ReadResult = Object.freeze({});

/** Where a read is when it asks L2: what it needs to decide whether a value may go into L1. */
export interface L2Ask {
  readonly ns: CacheNamespace;
  readonly key: string;
  /** Only a value fresh after this counts (a refresh wants one newer than what it refreshes). */
  readonly freshAfter: number;
  /** The load in flight, if any: once an eviction invalidated it, nothing it reads goes into L1. */
  readonly flight: Flight | undefined;
  /** The eviction gate's token, taken before Redis was read. */
  readonly fillToken: FillToken | undefined;
}

/**
 * Reads an entry from L2 and, when it is fresh and still current, copies it into L1: the one place
 * an L2 hit reaches L1.
 *
 * "Still current" is the eviction gate: no eviction that may cover the key was under way when the
 * read began, and none started or ended since (see `EvictionGate`). Otherwise the value is served
 * to this caller but not kept, since an eviction may be about to remove it from Redis.
 */
export class L2Reader {
  private readonly logger = new Logger('HybridCache');

  constructor(
    private readonly l1: L1Tier,
    private readonly l2: GuardedL2 | undefined,
    private readonly gate: EvictionGate,
    private readonly now: () => number,
  ) {}

  /** Any Redis failure reads as a miss with nothing observed (so a load stores nothing in L2). */
  read(ask: L2Ask): Promise<L2ReadResult> {
    if (!this.l2) return Promise.resolve(NOTHING_IN_L2);
    return this.l2.read(ask.key).then((read) => (read ? this.settle(ask, read) : NOTHING_IN_L2));
  }

  /**
   * A fresh, uncompressed value (an L2 hit, the common case) is settled here, in the same tick;
   * everything else (compressed, stale, absent, undecodable) goes to {@link settleSlowly}.
   */
  private settle(ask: L2Ask, read: L2Read): L2ReadResult | Promise<L2ReadResult> {
    if (read.kind === 'value') {
      try {
        const decoded = decodeEntryNow(read.bytes);
        if (decoded !== undefined && this.isFresh(ask, decoded)) return this.fresh(ask, decoded);
      } catch {
        // Undecodable, or L1 refused it: the slow path says so and counts it.
      }
    }
    return this.settleSlowly(ask, read);
  }

  private async settleSlowly(ask: L2Ask, read: L2Read): Promise<L2ReadResult> {
    const { ns, key } = ask;
    const l2 = this.l2!;
    try {
      // A value's state (its digest) is set below, once it is known not to be a fresh hit.
      let state = read.kind === 'absent' ? read.state : '';
      if (read.kind === 'value') {
        try {
          const decoded = decodeEntryNow(read.bytes) ?? (await decodeEntry(read.bytes));
          if (this.isFresh(ask, decoded)) return this.fresh(ask, decoded);
          state = valueState(read.bytes);
          if (decoded.freshUntil + ns.policy.graceMs > this.now()) {
            const observed = await l2.call(() => l2.tier.observe(ns.name, state), 'read');
            return {
              stale: { value: makeImmutable(decoded.value).value, freshUntil: decoded.freshUntil },
              observed,
            };
          }
        } catch (error) {
          if (!(error instanceof CacheDecodeError)) throw error;
          ns.counters.decodeErrors++;
          this.logger.warn(undecodable(key, error.message));
          await l2.call(() => l2.tier.remove(key), 'write');
          state = '';
        }
      }
      return { observed: await l2.call(() => l2.tier.observe(ns.name, state), 'read') };
    } catch {
      return NOTHING_IN_L2;
    }
  }

  private isFresh(ask: L2Ask, decoded: DecodedEntry): boolean {
    return decoded.freshUntil > ask.freshAfter && decoded.freshUntil > this.now();
  }

  /** A fresh value: into L1 if the gate allows, else only to this caller. */
  private fresh(ask: L2Ask, decoded: DecodedEntry): L2ReadResult {
    const { ns } = ask;
    if (ask.flight?.invalidated || !this.gate.mayFill(ns, ask.key, ask.fillToken)) {
      ns.counters.unfilledReads++;
      return { fresh: { value: makeImmutable(decoded.value).value, entry: undefined } };
    }
    const now = this.now();
    const entry = this.l1.put(ns.name, ask.key, l1PutOf(ns.policy, now, decoded));
    ns.counters.l1Writes++;
    return { fresh: { value: readEntry(entry), entry } };
  }
}
