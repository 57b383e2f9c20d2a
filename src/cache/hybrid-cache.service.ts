import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { deserialize } from 'node:v8';
import { performance } from 'node:perf_hooks';
import {
  encodeKey,
  fullKey,
  globMatcher,
  namespacePrefix,
  patternGlob,
  type CacheKey,
  type KeyPattern,
} from './cache-keys.js';
import {
  CacheDecodeError,
  decodeEntry,
  decodeEntryNow,
  encodeEntry,
  type DecodedEntry,
  type EncodedEntry,
} from './cache-codec.js';
import { CacheContext, type CacheOutcome, type CacheTier } from './cache-context.js';
import type { ResolvedCacheOptions } from './cache-options.js';
import type { ResolvedPolicy } from './cache-policy.js';
import {
  ALERT_THRESHOLDS,
  hitRate,
  L2Counters,
  LOAD_DURATION_BUCKETS,
  LoadDurationHistogram,
  NamespaceCounters,
  namespaceSnapshot,
  type NamespaceStatsSnapshot,
} from './cache-stats.js';
import { BUS_SEGMENT, VIDCACHE_OPTIONS, VIDCACHE_REDIS } from './cache.constants.js';
import {
  circuitClosed,
  circuitOpened,
  connectionLost,
  notCacheable,
  undecodable,
  unknownNamespace,
} from './cache.messages.js';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';
import { evictionSetSize, PendingEvictions, type EvictionSet } from './eviction-set.js';
import { InvalidationBus } from './invalidation-bus.js';
import { makeImmutable } from './immutable-value.js';
import type { CacheStore, SetOptions } from './stores/cache-store.js';
import type { L1Entry, NamespaceSlice } from './stores/memory.store.js';
import { MemoryStore } from './stores/memory.store.js';
import { RedisStore, type L2Observation, type L2Read, type RedisClient } from './stores/redis.store.js';

/** Options of one read-through call. */
export interface WrapOptions<T> {
  /** Overrides the policy's L2 TTL (and caps L1's). */
  readonly ttlMs?: number;
  /** Tags for the stored entry, fixed or computed from the loaded value. */
  readonly tags?: readonly string[] | ((value: T) => readonly string[]);
  /** Checked after loading: true means the value is returned but not stored. */
  readonly unless?: (value: T) => boolean;
}

/** A namespace as the hybrid cache sees it: resolved once, so a hit does no lookups by name. */
export interface CacheNamespace {
  readonly name: string;
  readonly policy: ResolvedPolicy;
  readonly keyPrefix: string;
  /** Its slice of L1, resolved once for the hit path. */
  readonly l1: NamespaceSlice;
  readonly counters: NamespaceCounters;
  /** Pre-built outcomes, so recording a hit allocates nothing. */
  readonly outcomes: Readonly<Record<'l1' | 'l2' | 'stale' | 'bypass', CacheOutcome>>;
}

interface Flight {
  readonly namespace: string;
  readonly key: string;
  /** Set by an eviction that lands while the load runs: its result must not be stored. */
  invalidated: boolean;
  /** The entry may carry tags, so a tag eviction must invalidate it. */
  readonly tagged: boolean;
  promise?: Promise<LoadResult>;
}

/** What a load found in L2: a fresh entry (now in L1), or a stale value and what L2 held. */
interface L2ReadResult {
  readonly entry?: L1Entry;
  readonly stale?: { value: unknown };
  readonly observed?: L2Observation;
}

const NOTHING_IN_L2: L2ReadResult = Object.freeze({});

interface LoadResult {
  readonly value: unknown;
  readonly tier: CacheTier;
  readonly stored: boolean;
}

export type L2Status = 'up' | 'down' | 'disabled';

export interface CacheStatsSnapshot {
  overall: { hitRate: number; requests: number; hits: number; misses: number; stale: number; loads: number };
  namespaces: Record<string, NamespaceStatsSnapshot>;
  l1: { entries: number; bytes: number; maxBytes: number; maxEntries: number };
  l2: {
    status: L2Status;
    circuit: CircuitState | 'disabled';
    latencyMs: number;
    reads: number;
    writes: number;
    errors: number;
    timeouts: number;
    circuitOpened: number;
    pendingEvictions: number;
    lastError: string | undefined;
  };
  bus: { published: number; received: number; malformed: number; resubscriptions: number } | undefined;
  inFlight: number;
  loadDurations: { buckets: readonly number[]; counts: readonly number[]; sum: number; count: number };
  alerts: string[];
}

/** How often a replica waiting on another's load looks for its value in L2. */
const LOCK_POLL_MS = 10;

/** What {@link HybridCacheService.hitL1} returns when L1 did not answer (a cached value may be `undefined`). */
export const MISS: unique symbol = Symbol('vidcache.miss');

/** `op()`, with a synchronous throw turned into a rejection, as an `async` function would. */
function attempt<T>(op: () => Promise<T>): Promise<T> {
  try {
    return op();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

const isTimeout = (error: unknown) => error instanceof Error && /timed? ?out/i.test(error.message);
const readValue = (entry: L1Entry) => (entry.cloneOnRead ? structuredClone(entry.value) : entry.value);

/**
 * The hybrid cache: L1 (this process) in front of L2 (Redis, shared by every replica) in front of
 * the source. Every read, write and eviction of the service goes through it.
 *
 * Reads (`wrap`):
 * 1. L1 hit: served without touching Redis.
 * 2. L2 hit: copied into L1 for the TTL that remains in L2, capped by the L1 TTL.
 * 3. Miss: one load per key however many callers wait; stored in both tiers unless an eviction
 *    happened meanwhile (locally: the flight is invalidated; across replicas: a conditional store).
 * 4. The source fails: a value expired less than the grace period ago is served, marked stale.
 *
 * Redis trouble never fails a call: every L2 operation is bounded by a timeout, a circuit breaker
 * skips L2 after repeated failures, and evictions that could not reach Redis are replayed when it
 * answers again, before L2 is read again.
 */
@Injectable()
export class HybridCacheService implements CacheStore, OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('HybridCache');
  readonly l1: MemoryStore;
  private readonly l2: RedisStore | undefined;
  private readonly bus: InvalidationBus | undefined;
  private readonly breaker: CircuitBreaker;
  private readonly pending: PendingEvictions;
  private readonly namespaces = new Map<string, CacheNamespace>();
  private readonly flights = new Map<string, Flight>();
  private readonly l2Counters = new L2Counters();
  private readonly loadHistogram = new LoadDurationHistogram();
  private readonly now: () => number;
  private recovering: Promise<void> | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  /**
   * Whether the latest `wrapKey` was answered by L1, set before it returns: an access observer
   * called right after learns it without a second lookup.
   */
  lastReadHitL1 = false;

  constructor(
    @Inject(VIDCACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
    @Inject(VIDCACHE_REDIS) private readonly redis: { client: RedisClient; subscriber: RedisClient } | null,
    private readonly context: CacheContext,
  ) {
    this.now = options.now;
    this.l1 = new MemoryStore(options);
    for (const policy of options.policies.values()) {
      const name = policy.namespace;
      const outcome = (tier: CacheTier): CacheOutcome => ({ namespace: name, tier, stored: false });
      this.namespaces.set(name, {
        name,
        policy,
        keyPrefix: namespacePrefix(options.prefix, name),
        l1: this.l1.slice(name),
        counters: new NamespaceCounters(),
        outcomes: {
          l1: outcome('l1'),
          l2: outcome('l2'),
          stale: outcome('stale'),
          bypass: outcome('bypass'),
        },
      });
    }
    this.breaker = new CircuitBreaker({
      failureThreshold: options.l2.failureThreshold,
      cooldownMs: options.l2.cooldownMs,
      now: this.now,
    });
    this.pending = new PendingEvictions(
      options.maxPendingEvictions,
      (key) => this.l1.namespaceOf(key),
      () => [...this.namespaces.keys()],
    );
    if (redis) {
      this.l2 = new RedisStore(redis.client, options);
      this.bus = new InvalidationBus(
        redis.client,
        redis.subscriber,
        `${options.prefix}:${BUS_SEGMENT}`,
        options.instanceId,
        {
          onEvictions: (set) => this.applyLocally(set),
          onResubscribed: () => this.dropLocalState(),
        },
      );
    }
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis) return;
    const { client } = this.redis;
    client.on('close', () => {
      if (!this.shuttingDown && this.breaker.allowsCalls && this.breaker.open())
        this.logger.warn(connectionLost(this.options.l2.cooldownMs));
    });
    client.on('ready', () => this.scheduleRecovery(true));
    this.recoveryTimer = setInterval(() => this.scheduleRecovery(false), this.options.l2.cooldownMs).unref();
    if (client.status !== 'ready') this.breaker.open();
    try {
      await this.bus!.start();
    } catch (error) {
      // The subscriber reconnects and resubscribes by itself; until then this replica runs on L1 + source.
      this.logger.warn(`Invalidation bus not subscribed yet: ${(error as Error).message}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.recoveryTimer);
    await this.bus?.close();
  }

  /** The resolved namespace, for callers that resolve it once (the decorators). */
  namespace(name: string): CacheNamespace {
    const namespace = this.namespaces.get(name);
    if (!namespace) throw new Error(unknownNamespace(name, [...this.namespaces.keys()]));
    return namespace;
  }

  /** The full Redis key of an entry. */
  keyOf(namespace: string, key: CacheKey): string {
    return fullKey(this.options.prefix, this.namespace(namespace).name, key);
  }

  // ------------------------------------------------------------------ reads

  /**
   * Returns the cached value, or loads it once (however many callers ask at the same time), stores
   * it in both tiers and returns it. Values returned are immutable; see `immutable-value.ts`.
   *
   * @example
   * const video = await cache.wrap('video', ['video', id], () => repository.findById(id));
   */
  wrap<T>(
    namespace: string,
    key: CacheKey,
    loader: () => Promise<T> | T,
    options?: WrapOptions<T>,
  ): Promise<T> {
    const ns = this.namespace(namespace);
    const relativeKey = encodeKey(key);
    const hit = this.hitL1(ns, relativeKey);
    return hit !== MISS ? Promise.resolve(hit as T) : this.readThrough(ns, relativeKey, loader, options);
  }

  /**
   * The L1 hit path of a read, on its own so the decorators can try it before they build a loader:
   * the value when L1 holds it fresh and not yet due for an early refresh (the hit is recorded and
   * counted), else {@link MISS} (nothing recorded; go on with {@link readThrough}).
   *
   * @param relativeKey `encodeKey(key)`: the key without the namespace prefix.
   */
  hitL1(ns: CacheNamespace, relativeKey: string): unknown {
    const now = this.now();
    const entry = this.l1.probe(ns.l1, relativeKey, now);
    if (entry === undefined || entry.freshUntil <= now || now >= entry.refreshAfter) return MISS;
    this.recordL1Hit(ns);
    return readValue(entry);
  }

  /** An L1 hit: remembered for the access observer, recorded for `Cache-Status`, counted. */
  private recordL1Hit(ns: CacheNamespace): void {
    this.lastReadHitL1 = true;
    if (this.context.record(ns.outcomes.l1)) ns.counters.l1Hits++;
  }

  /**
   * A read that {@link hitL1} did not answer: a hit due for an early refresh (served, and refreshed
   * in the background), or a miss (L2, then the source, one load per key).
   */
  readThrough<T>(
    ns: CacheNamespace,
    relativeKey: string,
    loader: () => Promise<T> | T,
    options?: WrapOptions<T>,
  ): Promise<T> {
    const key = ns.keyPrefix + relativeKey;
    const now = this.now();
    const entry = this.l1.probe(ns.l1, relativeKey, now);
    if (entry !== undefined && entry.freshUntil > now) {
      this.recordL1Hit(ns);
      if (now >= entry.refreshAfter) this.refresh(ns, key, loader, options, entry);
      return Promise.resolve(readValue(entry) as T);
    }
    this.lastReadHitL1 = false;
    return this.miss(ns, key, loader, options, entry);
  }

  /** Whether L1 holds a fresh value for a full key (no I/O: for callers deciding whether to preload). */
  isFresh(ns: CacheNamespace, key: string): boolean {
    const now = this.now();
    const entry = this.l1.lookup(ns.name, key, now);
    return entry !== undefined && entry.freshUntil > now;
  }

  /** Calls the source without the cache (a `condition` said no), and records it. */
  bypass<T>(ns: CacheNamespace, call: () => T): T {
    ns.counters.bypassed++;
    this.context.record(ns.outcomes.bypass);
    return call();
  }

  /** The value under a key from L1 or L2, without loading; `undefined` on a miss. */
  async get<T>(namespace: string, key: CacheKey): Promise<T | undefined> {
    const ns = this.namespace(namespace);
    const k = ns.keyPrefix + encodeKey(key);
    const now = this.now();
    const entry = this.l1.lookup(ns.name, k, now);
    if (entry !== undefined && entry.freshUntil > now) {
      ns.counters.l1Hits++;
      return readValue(entry) as T;
    }
    const fromL2 = await this.readL2(ns, k, now, undefined);
    if (fromL2.entry) {
      ns.counters.l2Hits++;
      return readValue(fromL2.entry) as T;
    }
    ns.counters.misses++;
    return undefined;
  }

  // miss, fly and l2Call are plain promise chains rather than `async` functions: they sit on every
  // L2 hit, where each promise layer showed in the profile (bench/README.md).
  private miss<T>(
    ns: CacheNamespace,
    key: string,
    loader: () => Promise<T> | T,
    options: WrapOptions<T> | undefined,
    stale: L1Entry | undefined,
  ): Promise<T> {
    const joined = this.flights.get(key);
    let result: Promise<LoadResult>;
    if (joined?.promise) {
      if (!this.context.inBackground()) ns.counters.coalesced++;
      result = joined.promise;
    } else {
      result = this.fly(ns, key, options?.tags !== undefined, (flight) =>
        this.load(ns, key, loader, options, flight, stale, false),
      );
    }
    return result.then((loaded) => {
      this.context.record({ namespace: ns.name, tier: loaded.tier, stored: loaded.stored });
      return loaded.value as T;
    });
  }

  /** Runs a load as the one flight for its key; callers that arrive meanwhile join it. */
  private fly(
    ns: CacheNamespace,
    key: string,
    tagged: boolean,
    load: (flight: Flight) => Promise<LoadResult>,
  ): Promise<LoadResult> {
    const flight: Flight = { namespace: ns.name, key, invalidated: false, tagged };
    const registered = this.flights.size < this.options.maxInFlight;
    if (registered) this.flights.set(key, flight);
    const loading = attempt(() => load(flight));
    flight.promise = loading;
    if (!registered) return loading;
    const land = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    return loading.then(
      (result) => {
        land();
        return result;
      },
      (error: unknown) => {
        land();
        throw error;
      },
    );
  }

  /** A hit close to expiry reloads in the background, once; errors are counted, never thrown. */
  private refresh<T>(
    ns: CacheNamespace,
    key: string,
    loader: () => Promise<T> | T,
    options: WrapOptions<T> | undefined,
    current: L1Entry,
  ): void {
    if (this.flights.has(key)) return;
    ns.counters.refreshes++;
    void this.fly(ns, key, options?.tags !== undefined, (flight) =>
      this.load(ns, key, loader, options, flight, current, true),
    ).catch(() => undefined);
  }

  /**
   * One load of a key:
   * 1. read L2 (a fresh value ends here; a stale one is kept for stale-if-error) and note what it held;
   * 2. call the source (on failure, serve the stale value if there is one);
   * 3. encode, then store in L2 only if no eviction happened since step 1, then in L1.
   */
  private load<T>(
    ns: CacheNamespace,
    key: string,
    loader: () => Promise<T> | T,
    options: WrapOptions<T> | undefined,
    flight: Flight,
    l1Entry: L1Entry | undefined,
    refreshing: boolean,
  ): Promise<LoadResult> {
    // Refreshes and background pre-loads are not requests: they count as refreshes and prefetches.
    const request = !refreshing && !this.context.inBackground();
    // 1. L2. A refresh only takes a value newer than the one it refreshes. An L2 hit ends here, in
    // one promise step (the rest is an async function of its own).
    const freshAfter = refreshing && l1Entry ? l1Entry.freshUntil : this.now();
    return this.readL2(ns, key, freshAfter, flight).then((fromL2) => {
      if (fromL2.entry) {
        if (request) ns.counters.l2Hits++;
        return { value: readValue(fromL2.entry), tier: 'l2', stored: true };
      }
      return this.loadAfterL2(ns, key, loader, options, flight, l1Entry, refreshing, request, fromL2);
    });
  }

  /** {@link load} once L2 had no fresh value: the cross-replica lock, then the source. */
  private async loadAfterL2<T>(
    ns: CacheNamespace,
    key: string,
    loader: () => Promise<T> | T,
    options: WrapOptions<T> | undefined,
    flight: Flight,
    l1Entry: L1Entry | undefined,
    refreshing: boolean,
    request: boolean,
    fromL2: L2ReadResult,
  ): Promise<LoadResult> {
    const { policy, counters } = ns;
    let staleValue: { value: unknown } | undefined = l1Entry ? { value: readValue(l1Entry) } : undefined;
    if (fromL2.stale) staleValue ??= fromL2.stale;

    // 1b. Across replicas: one loads, the others wait (bounded) for its value to reach L2.
    let lockToken: string | undefined;
    if (policy.lockWaitMs > 0 && fromL2.observed && !refreshing) {
      const acquired = await this.l2Call(
        () => this.l2!.acquireLoadLock(key, policy.lockWaitMs * 2),
        'write',
      ).then(
        (token) => ({ token }),
        () => undefined, // Redis failed: load without the lock.
      );
      lockToken = acquired?.token;
      if (acquired && acquired.token === undefined) {
        const awaited = await this.awaitOtherReplica(ns, key, policy.lockWaitMs, flight);
        if (awaited) {
          if (request) counters.l2Hits++;
          return { value: readValue(awaited), tier: 'l2', stored: true };
        }
      }
    }
    if (request) counters.misses++;
    else if (!refreshing) counters.prefetches++;
    try {
      return await this.loadFromSource(
        ns,
        key,
        loader,
        options,
        flight,
        fromL2.observed,
        staleValue,
        request,
      );
    } finally {
      if (lockToken !== undefined) {
        const token = lockToken;
        await this.l2Call(() => this.l2!.releaseLoadLock(key, token), 'write').catch(() => undefined);
      }
    }
  }

  /**
   * Waits for another replica's load of `key` to reach L2, polling it, for at most `waitMs`.
   * Resolves the entry (now also in L1), or `undefined` so that the caller loads itself.
   */
  private async awaitOtherReplica(
    ns: CacheNamespace,
    key: string,
    waitMs: number,
    flight: Flight,
  ): Promise<L1Entry | undefined> {
    const deadline = performance.now() + waitMs;
    while (performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      const fromL2 = await this.readL2(ns, key, this.now(), flight);
      if (fromL2.entry) return fromL2.entry;
      if (!this.l2Available()) return undefined;
    }
    return undefined;
  }

  /** Steps 2 and 3 of a load: the source, then the conditional store. */
  private async loadFromSource<T>(
    ns: CacheNamespace,
    key: string,
    loader: () => Promise<T> | T,
    options: WrapOptions<T> | undefined,
    flight: Flight,
    observed: L2Observation | undefined,
    staleValue: { value: unknown } | undefined,
    countedAsMiss: boolean,
  ): Promise<LoadResult> {
    const { policy, counters } = ns;

    // 2. The source.
    const started = performance.now();
    let value: T;
    try {
      value = await loader();
      counters.loads++;
    } catch (error) {
      counters.loadErrors++;
      if (staleValue && countedAsMiss) {
        counters.misses--;
        counters.staleHits++;
        return { value: staleValue.value, tier: 'stale', stored: false };
      }
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      counters.loadMsTotal += seconds * 1000;
      this.loadHistogram.observe(seconds);
    }

    // 3. Store.
    if (value === undefined || options?.unless?.(value)) return { value, tier: 'source', stored: false };
    const ttlMs = this.jitter(value === null ? policy.nullTtlMs : (options?.ttlMs ?? policy.l2TtlMs), policy);
    if (ttlMs <= 0) return { value, tier: 'source', stored: false };
    const tags = typeof options?.tags === 'function' ? options.tags(value) : options?.tags;
    const freshUntil = this.now() + ttlMs;
    let encoded: EncodedEntry;
    try {
      encoded = await encodeEntry(value, freshUntil, policy.compressAboveBytes, tags, ttlMs);
    } catch (error) {
      this.logger.warn(notCacheable(key, (error as Error).message));
      return { value, tier: 'source', stored: false };
    }
    const copy = deserialize(encoded.payload);
    if (!flight.invalidated && observed) {
      const stored = await this.l2Call(
        () => this.l2!.storeIfUnchanged(ns.name, key, encoded.bytes, ttlMs + policy.graceMs, tags, observed),
        'write',
      ).catch(() => true); // Redis failed: L1 and the source carry on without it.
      if (!stored) flight.invalidated = true;
    }
    if (flight.invalidated) {
      counters.discardedLoads++;
      return { value: makeImmutable(copy).value, tier: 'source', stored: false };
    }
    const l1FreshUntil = Math.min(freshUntil, this.now() + policy.l1TtlMs);
    const entry = this.l1.put(
      ns.name,
      key,
      copy,
      l1FreshUntil,
      policy.graceMs,
      tags,
      this.refreshAfter(policy, freshUntil, ttlMs),
    );
    counters.l1Writes++;
    return { value: readValue(entry), tier: 'source', stored: true };
  }

  /**
   * Reads a key from L2. A fresh value (fresh after `freshAfter`) is copied into L1 and returned as
   * `entry`; a stale one as `stale`; otherwise `observed` says what L2 held, for the conditional
   * store. Any Redis failure reads as a miss with nothing observed (so nothing is stored in L2).
   */
  private readL2(
    ns: CacheNamespace,
    key: string,
    freshAfter: number,
    flight: Flight | undefined,
  ): Promise<L2ReadResult> {
    if (!this.l2 || !this.l2Available()) return Promise.resolve(NOTHING_IN_L2);
    return this.l2Call(() => this.l2!.read(key), 'read').then(
      (read) => this.settleL2Read(ns, key, freshAfter, flight, read),
      () => NOTHING_IN_L2,
    );
  }

  /**
   * What an L2 read found. A fresh, uncompressed value (an L2 hit, the common case) is settled
   * here, in the same tick; everything else (compressed, stale, absent, undecodable, or an error
   * on the way) goes to {@link settleL2ReadSlowly}.
   */
  private settleL2Read(
    ns: CacheNamespace,
    key: string,
    freshAfter: number,
    flight: Flight | undefined,
    read: L2Read,
  ): L2ReadResult | Promise<L2ReadResult> {
    if (read.kind === 'value' && !flight?.invalidated) {
      try {
        const decoded = decodeEntryNow(read.bytes);
        const now = this.now();
        if (decoded !== undefined && decoded.freshUntil > freshAfter && decoded.freshUntil > now) {
          return { entry: this.fillL1(ns, key, decoded, now) };
        }
      } catch {
        // Undecodable, or L1 refused it: the slow path says so and counts it.
      }
    }
    return this.settleL2ReadSlowly(ns, key, freshAfter, flight, read);
  }

  /** Copies a fresh L2 value into L1 for the TTL that remains in L2, capped by the L1 TTL. */
  private fillL1(ns: CacheNamespace, key: string, decoded: DecodedEntry, now: number): L1Entry {
    const entry = this.l1.put(
      ns.name,
      key,
      decoded.value,
      Math.min(decoded.freshUntil, now + ns.policy.l1TtlMs),
      ns.policy.graceMs,
      decoded.tags,
      this.refreshAfter(ns.policy, decoded.freshUntil, decoded.ttlMs),
    );
    ns.counters.l1Writes++;
    return entry;
  }

  private async settleL2ReadSlowly(
    ns: CacheNamespace,
    key: string,
    freshAfter: number,
    flight: Flight | undefined,
    read: L2Read,
  ): Promise<L2ReadResult> {
    try {
      let state = read.kind === 'absent' ? read.state : 'V';
      if (read.kind === 'value') {
        try {
          const decoded = decodeEntryNow(read.bytes) ?? (await decodeEntry(read.bytes));
          const now = this.now();
          if (decoded.freshUntil > freshAfter && decoded.freshUntil > now) {
            if (flight?.invalidated) return { stale: { value: makeImmutable(decoded.value).value } };
            return { entry: this.fillL1(ns, key, decoded, now) };
          }
          if (decoded.freshUntil + ns.policy.graceMs > now) {
            const observed = await this.l2Call(() => this.l2!.observe(ns.name, state), 'read');
            return { stale: { value: makeImmutable(decoded.value).value }, observed };
          }
        } catch (error) {
          if (!(error instanceof CacheDecodeError)) throw error;
          ns.counters.decodeErrors++;
          this.logger.warn(undecodable(key, error.message));
          await this.l2Call(() => this.l2!.remove(key), 'write');
          state = '';
        }
      }
      return { observed: await this.l2Call(() => this.l2!.observe(ns.name, state), 'read') };
    } catch {
      return NOTHING_IN_L2;
    }
  }

  // ------------------------------------------------------------------ writes

  /** Stores a value (after a write to the source: `@CachePut`), replacing what any replica holds. */
  async set(namespace: string, key: CacheKey, value: unknown, options?: SetOptions): Promise<void> {
    const ns = this.namespace(namespace);
    const k = ns.keyPrefix + encodeKey(key);
    const { policy } = ns;
    // Loads in flight for this key began before this write: their results are older.
    this.invalidateFlight(k);
    const ttlMs = this.jitter(options?.ttlMs ?? policy.l2TtlMs, policy);
    const freshUntil = this.now() + ttlMs;
    let encoded: EncodedEntry;
    try {
      encoded = await encodeEntry(value, freshUntil, policy.compressAboveBytes, options?.tags, ttlMs);
    } catch (error) {
      // The write to the source succeeded; the stale entry goes, the new one is simply not cached.
      this.logger.warn(notCacheable(k, (error as Error).message));
      await this.evict({ keys: [k], patterns: [], tags: [], namespaces: [] });
      return;
    }
    this.l1.put(
      ns.name,
      k,
      deserialize(encoded.payload),
      Math.min(freshUntil, this.now() + policy.l1TtlMs),
      policy.graceMs,
      options?.tags,
      this.refreshAfter(policy, freshUntil, ttlMs),
    );
    ns.counters.l1Writes++;
    if (!this.l2) return;
    const others: EvictionSet = { keys: [k], patterns: [], tags: [], namespaces: [] };
    if (!this.l2Available()) {
      this.pending.add(others);
      return;
    }
    try {
      await this.l2Call(
        () => this.l2!.store(k, encoded.bytes, ttlMs + policy.graceMs, options?.tags),
        'write',
      );
      // Other replicas drop their L1 copy and read the new value from L2.
      await this.bus!.publish(others);
    } catch {
      this.pending.add(others);
    }
  }

  async delete(namespace: string, key: CacheKey): Promise<void> {
    await this.evict({ keys: [this.keyOf(namespace, key)], patterns: [], tags: [], namespaces: [] });
  }

  async deleteMany(namespace: string, keys: readonly CacheKey[]): Promise<void> {
    await this.evict({
      keys: keys.map((key) => this.keyOf(namespace, key)),
      patterns: [],
      tags: [],
      namespaces: [],
    });
  }

  /** Evicts the keys of a namespace matching a pattern; literal parts can never act as wildcards. */
  async deleteByPattern(namespace: string, pattern: KeyPattern): Promise<void> {
    await this.evict({
      keys: [],
      patterns: [[this.namespace(namespace).name, patternGlob(pattern)]],
      tags: [],
      namespaces: [],
    });
  }

  async deleteByTag(tags: string | readonly string[]): Promise<void> {
    await this.evict({
      keys: [],
      patterns: [],
      tags: typeof tags === 'string' ? [tags] : [...tags],
      namespaces: [],
    });
  }

  /** Clears one namespace in L1, in Redis and on every replica; nothing outside it is touched. */
  async clearNamespace(namespace: string): Promise<void> {
    await this.evict({ keys: [], patterns: [], tags: [], namespaces: [this.namespace(namespace).name] });
  }

  /**
   * Applies an eviction everywhere: this replica's L1 and loads in flight at once, then Redis and
   * the other replicas. If Redis cannot be reached the eviction is kept and replayed later; it
   * never fails the caller.
   */
  async evict(set: EvictionSet): Promise<void> {
    if (evictionSetSize(set) === 0) return;
    this.applyLocally(set);
    for (const key of set.keys) {
      const namespace = this.l1.namespaceOf(key);
      if (namespace) this.namespaces.get(namespace)!.counters.evictions++;
    }
    if (!this.l2) return;
    if (!this.l2Available()) {
      this.pending.add(set);
      return;
    }
    try {
      await this.applyToL2(set);
      await this.bus!.publish(set);
    } catch {
      this.pending.add(set);
    }
  }

  /** Drops evicted entries from L1 and marks loads in flight for them, so they do not store. */
  private applyLocally(set: EvictionSet): void {
    // (Deleting from a Map while iterating it is safe: for…of visits each remaining entry once.)
    for (const key of set.keys) {
      const namespace = this.l1.namespaceOf(key);
      if (namespace) this.l1.drop(namespace, key);
      this.invalidateFlight(key);
    }
    for (const [namespace, glob] of set.patterns) {
      if (!this.namespaces.has(namespace)) continue;
      this.l1.dropMatching(namespace, glob);
      const matches = globMatcher(namespacePrefix(this.options.prefix, namespace) + glob);
      for (const flight of this.flights.values()) if (matches(flight.key)) this.invalidateFlight(flight.key);
    }
    if (set.tags.length > 0) {
      this.l1.dropTags(set.tags);
      for (const flight of this.flights.values()) if (flight.tagged) this.invalidateFlight(flight.key);
    }
    for (const namespace of set.namespaces) {
      if (!this.namespaces.has(namespace)) continue;
      this.l1.dropNamespace(namespace);
      for (const flight of this.flights.values()) {
        if (flight.namespace === namespace) this.invalidateFlight(flight.key);
      }
    }
  }

  private invalidateFlight(key: string): void {
    const flight = this.flights.get(key);
    if (!flight) return;
    flight.invalidated = true;
    // Callers arriving from now on start a new load rather than join one that began before the eviction.
    this.flights.delete(key);
  }

  /** After a bus interruption: evictions may have been missed, so nothing local can be trusted. */
  private dropLocalState(): void {
    this.l1.dropAll();
    for (const key of this.flights.keys()) this.invalidateFlight(key);
  }

  private async applyToL2(set: EvictionSet): Promise<void> {
    const l2 = this.l2!;
    if (set.namespaces.length > 0)
      await this.l2Call(() => Promise.all(set.namespaces.map((n) => l2.evictNamespace(n))), 'write');
    for (const [namespace, glob] of set.patterns)
      await this.l2Call(() => l2.evictMatching(namespace, glob), 'write');
    if (set.tags.length > 0) await this.l2Call(() => l2.evictTags(set.tags), 'write');
    if (set.keys.length > 0) await this.l2Call(() => l2.evictKeys(set.keys), 'write');
  }

  // ------------------------------------------------------------------ L2 health

  private l2Available(): boolean {
    if (this.breaker.allowsCalls) return true;
    this.scheduleRecovery(false);
    return false;
  }

  /**
   * One Redis operation, timed and counted, its outcome fed to the circuit breaker. A plain promise
   * chain rather than an `async` function: it sits on every L2 read, where each layer costs.
   */
  private l2Call<T>(op: () => Promise<T>, kind: 'read' | 'write'): Promise<T> {
    const started = performance.now();
    return attempt(op).then(
      (result) => {
        this.l2Counters.observeLatency(performance.now() - started);
        if (kind === 'read') this.l2Counters.reads++;
        else this.l2Counters.writes++;
        this.breaker.recordSuccess();
        return result;
      },
      (error: unknown) => {
        this.l2Counters.errors++;
        this.l2Counters.lastError = (error as Error).message;
        if (isTimeout(error)) this.l2Counters.timeouts++;
        if (this.breaker.recordFailure()) {
          this.logger.warn(circuitOpened(this.options.l2.failureThreshold, this.options.l2.cooldownMs));
        }
        throw error;
      },
    );
  }

  /**
   * Probes Redis once the circuit has cooled down (or at once when the connection is back), replays
   * the evictions it missed, and only then closes the circuit, so no stale value is read from it.
   */
  private scheduleRecovery(force: boolean): void {
    if (!this.redis || this.recovering || this.breaker.allowsCalls) return;
    if (force) this.breaker.open();
    if (!force && !this.breaker.tryStartProbe()) return;
    this.recovering = this.recover().finally(() => (this.recovering = undefined));
  }

  private async recover(): Promise<void> {
    let replayed = 0;
    try {
      await this.redis!.client.ping();
      // Evictions keep arriving (and queueing) while the backlog replays: drain until none is left,
      // then close in the same tick, so none can slip in between.
      while (this.pending.size > 0) {
        const backlog = this.pending.take();
        try {
          await this.applyToL2(backlog);
          await this.bus!.publish(backlog);
          replayed += evictionSetSize(backlog);
        } catch (error) {
          this.pending.add(backlog);
          throw error;
        }
      }
      this.breaker.close();
      this.logger.log(circuitClosed(replayed));
    } catch {
      this.breaker.open();
    }
  }

  // ------------------------------------------------------------------ stats

  stats(): CacheStatsSnapshot {
    const usage = this.l1.usage();
    const namespaces: Record<string, NamespaceStatsSnapshot> = {};
    let hits = 0;
    let misses = 0;
    let stale = 0;
    let loads = 0;
    let l1Writes = 0;
    let pressureEvictions = 0;
    for (const [name, ns] of this.namespaces) {
      const slice = usage.namespaces[name]!;
      namespaces[name] = namespaceSnapshot(ns.counters, slice);
      hits += ns.counters.l1Hits + ns.counters.l2Hits;
      stale += ns.counters.staleHits;
      misses += ns.counters.misses + ns.counters.coalesced;
      loads += ns.counters.loads;
      l1Writes += ns.counters.l1Writes;
      pressureEvictions += slice.pressureEvictions;
    }
    const requests = hits + stale + misses;
    const l2Status: L2Status = !this.l2 ? 'disabled' : this.breaker.allowsCalls ? 'up' : 'down';
    const snapshot: CacheStatsSnapshot = {
      overall: { hitRate: hitRate(hits + stale, requests), requests, hits, misses, stale, loads },
      namespaces,
      l1: {
        entries: usage.entries,
        bytes: usage.bytes,
        maxBytes: this.l1.maxBytes,
        maxEntries: this.l1.maxEntries,
      },
      l2: {
        status: l2Status,
        circuit: this.l2 ? this.breaker.state : 'disabled',
        latencyMs: this.l2Counters.latencyMs,
        reads: this.l2Counters.reads,
        writes: this.l2Counters.writes,
        errors: this.l2Counters.errors,
        timeouts: this.l2Counters.timeouts,
        circuitOpened: this.breaker.opened,
        pendingEvictions: this.pending.size,
        lastError: this.l2Counters.lastError,
      },
      bus: this.bus ? { ...this.bus.counters } : undefined,
      inFlight: this.flights.size,
      loadDurations: {
        buckets: LOAD_DURATION_BUCKETS,
        counts: [...this.loadHistogram.counts],
        sum: this.loadHistogram.sum,
        count: this.loadHistogram.count,
      },
      alerts: [],
    };
    snapshot.alerts = this.alerts(snapshot, l1Writes, pressureEvictions);
    return snapshot;
  }

  private alerts(s: CacheStatsSnapshot, l1Writes: number, pressureEvictions: number): string[] {
    const alerts: string[] = [];
    const t = ALERT_THRESHOLDS;
    if (s.overall.requests >= t.minRequestsForHitRate && s.overall.hitRate < t.minHitRate) {
      alerts.push(`hit rate ${(s.overall.hitRate * 100).toFixed(1)}% is under ${t.minHitRate * 100}%`);
    }
    if (s.l2.status === 'down') alerts.push(`L2 (Redis) is down: serving from L1 and the source`);
    if (s.l2.latencyMs > t.maxL2LatencyMs) {
      alerts.push(`L2 latency ${s.l2.latencyMs.toFixed(1)} ms is over ${t.maxL2LatencyMs} ms`);
    }
    if (l1Writes > 0 && pressureEvictions / l1Writes > t.maxEvictionRate) {
      alerts.push(
        `L1 eviction rate ${((pressureEvictions / l1Writes) * 100).toFixed(1)}% is over ${t.maxEvictionRate * 100}%`,
      );
    }
    if (s.l1.bytes > s.l1.maxBytes * t.maxL1MemoryRatio) {
      alerts.push(`L1 memory ${s.l1.bytes} bytes is over ${t.maxL1MemoryRatio * 100}% of ${s.l1.maxBytes}`);
    }
    return alerts;
  }

  /** Whether calls currently skip L2. */
  get l2Status(): L2Status {
    return !this.l2 ? 'disabled' : this.breaker.allowsCalls ? 'up' : 'down';
  }

  /**
   * When a hit starts refreshing a value: in the last `earlyRefresh` share of the TTL it was stored
   * with — the entry's own TTL, not the policy's, so an entry stored with a shorter TTL is not
   * refreshed on every hit. (An entry from an older writer, without its TTL, uses the time left.)
   */
  private refreshAfter(policy: ResolvedPolicy, freshUntil: number, ttlMs: number | undefined): number {
    if (policy.earlyRefresh <= 0) return freshUntil;
    const lifetime = ttlMs ?? Math.max(0, freshUntil - this.now());
    return freshUntil - policy.earlyRefresh * lifetime;
  }

  private jitter(ttlMs: number, policy: ResolvedPolicy): number {
    return policy.jitter > 0 ? Math.round(ttlMs * (1 - Math.random() * policy.jitter)) : ttlMs;
  }
}
