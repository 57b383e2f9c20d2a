import type { CacheContext } from './cache-context.js';
import { encodeKey } from './cache-keys.js';
import { cacheTracing, type ReadTrace } from './cache-tracing.js';
import type { Flight, Flights, LoadResult } from './flights.js';
import type { InvalidationBus } from './invalidation-bus.js';
import { Load, type LoadDeps, type WrapOptions } from './load.js';
import type { CacheNamespace } from './namespaces.js';
import { readEntry, type L1Entry } from './stores/memory.store.js';

/** What {@link ReadThroughHandler.hitL1} returns when L1 did not answer (a cached value may be `undefined`). */
export const MISS: unique symbol = Symbol('vidcache.miss');

/**
 * The read path: L1, then one {@link Load} per key (L2, then the source).
 *
 * 1. L1 hit: served with no I/O, if this replica can hear evictions (the bus is not deaf).
 * 2. A hit due for an early refresh: served, and refreshed in the background, once.
 * 3. A miss: joins the load in flight for the key, or starts one.
 */
export class ReadThroughHandler {
  constructor(
    private readonly deps: LoadDeps,
    private readonly flights: Flights,
    private readonly context: CacheContext,
    private readonly bus: InvalidationBus | undefined,
  ) {}

  /**
   * The L1 hit path, on its own so the decorators can try it before they build a loader: the value
   * when L1 holds it fresh and not yet due for an early refresh (the hit is recorded and counted),
   * else {@link MISS} (nothing recorded; go on with {@link readThrough}).
   *
   * @param relativeKey `encodeKey(key)`: the key without the namespace prefix.
   */
  hitL1(ns: CacheNamespace, relativeKey: string): unknown {
    const now = this.deps.now();
    const entry = this.deps.l1.probe(ns.l1, relativeKey, now);
    if (entry === undefined || entry.freshUntil <= now || now >= entry.refreshAfter) return MISS;
    if (!this.hears()) return MISS;
    this.recordL1Hit(ns, entry);
    return readEntry(entry);
  }

  /**
   * {@link hitL1} for a caller that does not read through on a miss but hands the request to
   * something that will (the HTTP hit lane, which passes a miss to the route's handler): it looks
   * first and counts nothing unless it takes the hit, so the read that follows is the one counted.
   * `accept` sees the value before anything is counted; a value it refuses is left to that read.
   * Returns the entry taken (the caller reads its value with `readEntry`), or {@link MISS}.
   */
  takeL1(
    ns: CacheNamespace,
    relativeKey: string,
    accept: (value: unknown) => boolean,
  ): L1Entry | typeof MISS {
    const now = this.deps.now();
    const seen = this.deps.l1.peek(ns.l1, relativeKey, now);
    if (seen === undefined || seen.freshUntil <= now || now >= seen.refreshAfter) return MISS;
    if (!this.hears() || !accept(seen.value)) return MISS;
    // The access, counted as hitL1 counts it: the slice's hits and the eviction policy's recency
    // and frequency. Same entry: nothing ran between the look and the probe.
    this.deps.l1.probe(ns.l1, relativeKey, now);
    this.recordL1Hit(ns, seen);
    return seen;
  }

  /** A read that {@link hitL1} did not answer (and has counted in L1). */
  readThrough<T>(
    ns: CacheNamespace,
    relativeKey: string,
    loader: () => Promise<T> | T,
    options?: WrapOptions<T>,
  ): Promise<T> {
    const key = ns.keyPrefix + relativeKey;
    const now = this.deps.now();
    // A deaf replica may have missed evictions: what its L1 holds is neither served nor a fallback.
    // hitL1 has counted this read already: a peek, so a miss is not counted twice.
    const entry = this.hears() ? this.deps.l1.peek(ns.l1, relativeKey, now) : undefined;
    if (entry !== undefined && entry.freshUntil > now) {
      this.recordL1Hit(ns, entry);
      if (now >= entry.refreshAfter) this.refresh(ns, key, loader, options, entry);
      return Promise.resolve(readEntry(entry) as T);
    }
    if (cacheTracing.on) {
      return cacheTracing.read(ns.name, (note) => this.miss(ns, key, loader, options, entry, note));
    }
    return this.miss(ns, key, loader, options, entry);
  }

  /** `wrap`: the hit path, then the read-through. */
  wrap<T>(
    ns: CacheNamespace,
    key: Parameters<typeof encodeKey>[0],
    loader: () => Promise<T> | T,
    options?: WrapOptions<T>,
  ) {
    const relativeKey = encodeKey(key);
    const hit = this.hitL1(ns, relativeKey);
    return hit !== MISS ? Promise.resolve(hit as T) : this.readThrough(ns, relativeKey, loader, options);
  }

  /** The value from L1 or L2 without loading; `undefined` on a miss. */
  async get<T>(ns: CacheNamespace, relativeKey: string): Promise<T | undefined> {
    const now = this.deps.now();
    const entry = this.hears() ? this.deps.l1.probe(ns.l1, relativeKey, now) : undefined;
    if (entry !== undefined && entry.freshUntil > now) {
      ns.counters.l1Hits++;
      ns.counters.hitBytes += entry.bytes;
      return readEntry(entry) as T;
    }
    const key = ns.keyPrefix + relativeKey;
    const { reader, gate } = this.deps;
    const fromL2 = await reader.read({
      ns,
      key,
      freshAfter: this.deps.now(),
      flight: undefined,
      fillToken: gate.token(ns, key),
    });
    if (fromL2.fresh) {
      ns.counters.l2Hits++;
      ns.counters.hitBytes += fromL2.fresh.entry?.bytes ?? 0;
      return fromL2.fresh.value as T;
    }
    ns.counters.misses++;
    return undefined;
  }

  /** Whether L1 holds a fresh value this replica may serve (no I/O: for callers deciding whether to preload). */
  isFresh(ns: CacheNamespace, key: string): boolean {
    if (!this.hears()) return false;
    const now = this.deps.now();
    // Not a read: nothing is counted, and the eviction policy does not see an access.
    const entry = this.deps.l1.peek(ns.l1, key.slice(ns.l1.prefix.length), now);
    return entry !== undefined && entry.freshUntil > now;
  }

  /** Calls the source without the cache (a `condition` said no), and records it. */
  bypass<T>(ns: CacheNamespace, call: () => T): T {
    ns.counters.bypassed++;
    this.context.record(ns.outcomes.bypass);
    return call();
  }

  /** Whether this replica can hear evictions (always, memory-only: there is nobody else). */
  private hears(): boolean {
    return this.bus === undefined || this.bus.hears();
  }

  private recordL1Hit(ns: CacheNamespace, entry: L1Entry): void {
    if (!this.context.record(ns.outcomes.l1)) return;
    ns.counters.l1Hits++;
    ns.counters.hitBytes += entry.bytes;
    // One property read when tracing is off: no span, no tracer call.
    if (cacheTracing.on) cacheTracing.l1Hit(ns.name);
  }

  // miss is a plain promise chain rather than an `async` function: it sits on every L2 hit.
  private miss<T>(
    ns: CacheNamespace,
    key: string,
    loader: () => Promise<T> | T,
    options: WrapOptions<T> | undefined,
    l1Entry: L1Entry | undefined,
    note?: ReadTrace,
  ): Promise<T> {
    const joined = this.flights.get(key);
    let flight: Flight | undefined = joined;
    let result: Promise<LoadResult>;
    if (joined?.promise) {
      if (!this.context.inBackground()) ns.counters.coalesced++;
      result = joined.promise;
    } else {
      const request = !this.context.inBackground();
      result = this.flights.start(ns, key, options?.tags !== undefined, (started) => {
        flight = started;
        return new Load(
          this.deps,
          { ns, key, loader, options, l1Entry, refreshing: false, request },
          started,
        ).run();
      });
    }
    if (note) {
      note.joined = joined?.promise !== undefined;
      note.flight = flight;
    }
    return result.then((loaded) => {
      if (note) note.tier = loaded.tier;
      this.context.record({ namespace: ns.name, tier: loaded.tier, stored: loaded.stored });
      return loaded.value as T;
    });
  }

  /** A hit close to expiry reloads in the background, once; errors are counted, never thrown. */
  private refresh<T>(
    ns: CacheNamespace,
    key: string,
    loader: () => Promise<T> | T,
    options: WrapOptions<T> | undefined,
    current: L1Entry,
  ): void {
    if (this.flights.get(key)) return;
    ns.counters.refreshes++;
    const request = { ns, key, loader, options, l1Entry: current, refreshing: true, request: false };
    void this.flights
      .start(ns, key, options?.tags !== undefined, (flight) => new Load(this.deps, request, flight).run())
      .catch(() => undefined);
  }
}
