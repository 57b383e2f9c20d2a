import { Logger } from '@nestjs/common';
import { deserialize } from 'node:v8';
import { performance } from 'node:perf_hooks';
import { encodeEntry, type EncodedEntry } from './cache-codec.js';
import { observeLoadMs, type BucketHistogram, type LoadDurationHistogram } from './cache-stats.js';
import type { FailSafeThrottle } from './fail-safe.js';
import { attempt } from './flights.js';
import { notCacheable } from './cache.messages.js';
import type { Flight, LoadResult } from './flights.js';
import type { GuardedL2 } from './guarded-l2.js';
import { makeImmutable } from './immutable-value.js';
import type { L2Reader, L2ReadResult } from './l2-reader.js';
import type { EvictionGate, FillToken } from './eviction-gate.js';
import type { CacheNamespace } from './namespaces.js';
import { readEntry, type L1Entry } from './stores/memory.store.js';
import type { L1Tier } from './tiers.js';
import type { L2Observation } from './stores/redis.store.js';
import { jitter, l1PutOf } from './ttl.js';

/** Options of one read-through call. */
export interface WrapOptions<T> {
  /** Overrides the policy's L2 TTL (and caps L1's). */
  readonly ttlMs?: number;
  /** Tags for the stored entry, fixed or computed from the loaded value. */
  readonly tags?: readonly string[] | ((value: T) => readonly string[]);
  /** Checked after loading: true means the value is returned but not stored. */
  readonly unless?: (value: T) => boolean;
}

/** The parts of the stack a load uses. */
export interface LoadDeps {
  readonly l1: L1Tier;
  readonly failSafe: FailSafeThrottle;
  readonly l2: GuardedL2 | undefined;
  readonly reader: L2Reader;
  readonly gate: EvictionGate;
  readonly histogram: LoadDurationHistogram;
  /** How long past its freshness each stale value served was. */
  readonly staleAges: BucketHistogram;
  readonly now: () => number;
}

/** What a load is asked to do; it carries its own state from there. */
export interface LoadRequest<T> {
  readonly ns: CacheNamespace;
  readonly key: string;
  readonly loader: () => Promise<T> | T;
  readonly options: WrapOptions<T> | undefined;
  /** What L1 held (expired, or due for a refresh): a fallback if the source fails. */
  readonly l1Entry: L1Entry | undefined;
  /** A background refresh of a value still being served, rather than a miss. */
  readonly refreshing: boolean;
  /** Counted as a request (not a refresh, not background work). */
  readonly request: boolean;
}

/** A value kept to serve if the source fails, and when it stopped being fresh. */
interface StaleValue {
  readonly value: unknown;
  readonly freshUntil: number;
}

/** How often a replica waiting on another's load looks for its value in L2. */
const LOCK_POLL_MS = 10;

const logger = new Logger('HybridCache');

/**
 * One load of one key, as one flight:
 * 1. read L2 (a fresh value ends here; a stale one is kept for stale-if-error) and note what it held;
 * 2. across replicas, take the load lock, or wait (bounded) for the replica that holds it;
 * 3. call the source (on failure, serve the stale value if there is one);
 * 4. encode, store in L2 only if no eviction happened since step 1, then in L1 if the eviction
 *    gate still allows it.
 */
export class Load<T> {
  private readonly ns: CacheNamespace;
  private readonly key: string;
  /** Taken before anything is read, so an eviction that starts meanwhile keeps the result out of L1. */
  private readonly fillToken: FillToken | undefined;

  constructor(
    private readonly deps: LoadDeps,
    private readonly request: LoadRequest<T>,
    private readonly flight: Flight,
  ) {
    this.ns = request.ns;
    this.key = request.key;
    this.fillToken = deps.gate.token(request.ns, request.key);
  }

  /** Step 1. A plain promise chain: an L2 hit ends here in one promise step. */
  run(): Promise<LoadResult> {
    const { refreshing, l1Entry, request } = this.request;
    const freshAfter = refreshing && l1Entry ? l1Entry.freshUntil : this.deps.now();
    return this.readL2(freshAfter).then((fromL2) => {
      if (fromL2.fresh) {
        if (request) {
          this.ns.counters.l2Hits++;
          this.ns.counters.hitBytes += fromL2.fresh.entry?.bytes ?? 0;
        }
        return { value: fromL2.fresh.value, tier: 'l2', stored: true };
      }
      return this.afterL2(fromL2);
    });
  }

  private readL2(freshAfter: number): Promise<L2ReadResult> {
    const { ns, key, flight, fillToken } = this;
    return this.deps.reader.read({ ns, key, freshAfter, flight, fillToken });
  }

  /** Steps 2 to 4, once L2 had no fresh value. */
  private async afterL2(fromL2: L2ReadResult): Promise<LoadResult> {
    const { counters, policy } = this.ns;
    const { l1Entry, refreshing, request } = this.request;
    let stale: StaleValue | undefined = l1Entry
      ? { value: readEntry(l1Entry), freshUntil: l1Entry.freshUntil }
      : undefined;
    stale ??= fromL2.stale;

    let lockToken: string | undefined;
    if (policy.lockWaitMs > 0 && fromL2.observed && !refreshing) {
      const lock = await this.acquireLock(policy.lockWaitMs * 2);
      lockToken = lock?.token;
      // Another replica may have loaded, stored and released the lock between our L2 read and our
      // lock: the holder looks at L2 once more before it calls the source (double-checked locking);
      // a waiter polls L2 until the holder's value is there.
      const theirs =
        lock === undefined
          ? undefined
          : lock.token !== undefined
            ? await this.storedMeanwhile()
            : await this.awaitOtherReplica(policy.lockWaitMs);
      if (theirs !== undefined) {
        if (lockToken !== undefined) await this.releaseLock(lockToken);
        if (request) counters.l2Hits++;
        return { value: theirs.value, tier: 'l2', stored: true };
      }
    }
    if (request) counters.misses++;
    else if (!refreshing) counters.prefetches++;
    try {
      return await this.fromSource(fromL2.observed, stale);
    } finally {
      if (lockToken !== undefined) await this.releaseLock(lockToken);
    }
  }

  /** A fresh value another replica stored in L2 since this load first read it; `undefined`: none. */
  private async storedMeanwhile(): Promise<{ value: unknown } | undefined> {
    const fromL2 = await this.readL2(this.deps.now());
    return fromL2.fresh;
  }

  /** The cross-replica lock: `{ token }` (undefined: another replica holds it), or nothing if Redis failed. */
  private acquireLock(ttlMs: number): Promise<{ token: string | undefined } | undefined> {
    const l2 = this.deps.l2!;
    return l2
      .call(() => l2.tier.acquireLoadLock(this.key, ttlMs), 'write')
      .then(
        (token) => ({ token }),
        () => undefined,
      );
  }

  private async releaseLock(token: string): Promise<void> {
    const l2 = this.deps.l2!;
    await l2.call(() => l2.tier.releaseLoadLock(this.key, token), 'write').catch(() => undefined);
  }

  /** Polls L2 for the other replica's value for at most `waitMs`; `undefined`: load it here. */
  private async awaitOtherReplica(waitMs: number): Promise<{ value: unknown } | undefined> {
    const deadline = performance.now() + waitMs;
    while (performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      const fromL2 = await this.readL2(this.deps.now());
      if (fromL2.fresh) return fromL2.fresh;
      if (!this.deps.l2!.available()) return undefined;
    }
    return undefined;
  }

  /**
   * Step 3, the source, with the fail-safe rules for a load that has a stale value to fall back on:
   * - the key's source failed a moment ago (fail-safe throttle): the stale value, without a call;
   * - the source is slower than the soft timeout: the stale value now, and the load finishes (and
   *   stores) in the background;
   * - the source fails: the stale value, and the key is throttled.
   */
  private async fromSource(observed: L2Observation | undefined, stale: StaleValue | undefined) {
    const { ns, key } = this;
    const { policy, counters } = ns;
    const { loader, request } = this.request;
    const fallback = request ? stale : undefined;
    const { failSafe, now } = this.deps;
    if (fallback && failSafe.throttled(key, now())) return this.serveStale(fallback, 'throttled');

    const started = performance.now();
    const loading = attempt(async () => loader()).then(
      (value) => {
        counters.loads++;
        failSafe.recovered(key);
        this.observeDuration(started);
        return value;
      },
      (error: unknown) => {
        counters.loadErrors++;
        this.observeDuration(started);
        throw error;
      },
    );
    let value: T;
    try {
      value =
        fallback && policy.softTimeoutMs > 0
          ? await withSoftTimeout(loading, policy.softTimeoutMs)
          : await loading;
    } catch (error) {
      if (error === SOFT_TIMEOUT) {
        void loading
          .then(
            (late) => this.store(late, observed),
            () => failSafe.failed(key, now(), policy.failSafeThrottleMs),
          )
          .catch(() => undefined); // a late store that fails is a value not cached, nothing more

        return this.serveStale(fallback!, 'timeout');
      }
      if (!fallback) throw error;
      failSafe.failed(key, now(), policy.failSafeThrottleMs);
      return this.serveStale(fallback, 'error');
    }
    return this.store(value, observed);
  }

  private serveStale(stale: StaleValue, reason: 'error' | 'timeout' | 'throttled'): LoadResult {
    const { counters } = this.ns;
    this.deps.staleAges.observe(Math.max(0, this.deps.now() - stale.freshUntil) / 1000);
    counters.misses--;
    counters.staleHits++;
    if (reason === 'error') counters.staleOnError++;
    else if (reason === 'timeout') counters.staleOnTimeout++;
    else counters.staleThrottled++;
    return { value: stale.value, tier: 'stale', stored: false };
  }

  private observeDuration(started: number): void {
    const ms = performance.now() - started;
    observeLoadMs(this.ns.counters, ms);
    this.flight.loadMs = ms;
    this.deps.histogram.observe(ms / 1000);
  }

  /** Step 4: encode, store in L2 unless an eviction happened since step 1, then in L1 if the gate allows. */
  private async store(value: T, observed: L2Observation | undefined): Promise<LoadResult> {
    const { ns, key, flight } = this;
    const { policy, counters } = ns;
    const { options } = this.request;
    if (value === undefined || options?.unless?.(value)) return notStored(value);
    const ttlMs = jitter(value === null ? policy.nullTtlMs : (options?.ttlMs ?? policy.l2TtlMs), policy);
    if (ttlMs <= 0) return notStored(value);
    const tags = typeof options?.tags === 'function' ? options.tags(value) : options?.tags;
    const freshUntil = this.deps.now() + ttlMs;
    let encoded: EncodedEntry;
    try {
      encoded = await encodeEntry(value, freshUntil, policy.compressAboveBytes, tags, ttlMs);
    } catch (error) {
      logger.warn(notCacheable(key, (error as Error).message));
      return notStored(value);
    }
    const copy = deserialize(encoded.payload);
    // Bytes as L1 counts them (what hits are counted in); a value kept out of L1, by its encoded size.
    const countBytes = (bytes: number) => {
      if (this.request.request) counters.missBytes += bytes;
    };
    const l2 = this.deps.l2;
    let unknown = false;
    if (!flight.invalidated && observed && l2) {
      const stored = await l2
        .call(
          () =>
            l2.tier.storeIfUnchanged(
              ns.name,
              { key, bytes: encoded.bytes, ttlMs: ttlMs + policy.graceMs, tags },
              observed,
            ),
          'write',
        )
        .catch(() => undefined);
      if (stored === false) flight.invalidated = true;
      // Redis failed mid-check: whether an eviction landed since the read is unknown.
      unknown = stored === undefined;
    }
    const unfilled = (result: LoadResult) => {
      countBytes(encoded.bytes.length);
      return result;
    };
    if (flight.invalidated) {
      counters.discardedLoads++;
      return unfilled({ value: makeImmutable(copy).value, tier: 'source', stored: false });
    }
    if (unknown) {
      counters.unfilledReads++;
      return unfilled({ value: makeImmutable(copy).value, tier: 'source', stored: false });
    }
    if (!this.deps.gate.mayFill(ns, key, this.fillToken)) {
      // Stored in L2 (the conditional store saw no eviction of this key), but an eviction that may
      // cover it ran here meanwhile: L1 waits for the next read rather than guess whether it applied.
      counters.unfilledReads++;
      return unfilled({ value: makeImmutable(copy).value, tier: 'source', stored: true });
    }
    const now = this.deps.now();
    const entry = this.deps.l1.put(
      ns.name,
      key,
      l1PutOf(policy, now, { value: copy, freshUntil, ttlMs, tags }),
    );
    counters.l1Writes++;
    countBytes(entry.bytes);
    return { value: readEntry(entry), tier: 'source', stored: true } satisfies LoadResult;
  }
}

const notStored = (value: unknown): LoadResult => ({ value, tier: 'source', stored: false });

const SOFT_TIMEOUT: unique symbol = Symbol('vidcache.soft-timeout');

/** `loading`, or a rejection with {@link SOFT_TIMEOUT} once `ms` have passed without it settling. */
function withSoftTimeout<T>(loading: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(SOFT_TIMEOUT), ms);
  });
  return Promise.race([loading, timeout]).finally(() => clearTimeout(timer));
}
