import type { CacheTier } from './cache-context.js';
import type { CacheNamespace } from './namespaces.js';

/** What one load produced. */
export interface LoadResult {
  readonly value: unknown;
  readonly tier: CacheTier;
  readonly stored: boolean;
}

/** The single load of a key under way; callers that miss meanwhile join it. */
export interface Flight {
  readonly namespace: string;
  readonly key: string;
  /** Set by an eviction that lands while the load runs: its result must not be stored. */
  invalidated: boolean;
  /** The entry may carry tags, so a tag eviction must invalidate it. */
  readonly tagged: boolean;
  promise?: Promise<LoadResult>;
  /** How long the source took, once it answered (for the read spans of everyone who joined). */
  loadMs?: number;
}

/** `op()`, with a synchronous throw turned into a rejection, as an `async` function would. */
export function attempt<T>(op: () => Promise<T>): Promise<T> {
  try {
    return op();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/**
 * The loads in flight, one per key (single-flight), bounded: past `max` a load still runs but is
 * not registered, so nobody joins it (and the eviction gate alone keeps it from storing stale).
 */
export class Flights {
  private readonly byKey = new Map<string, Flight>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Flight | undefined {
    return this.byKey.get(key);
  }

  /** Runs `load` as the one flight for its key; callers that arrive meanwhile join its promise. */
  start(ns: CacheNamespace, key: string, tagged: boolean, load: (flight: Flight) => Promise<LoadResult>) {
    const flight: Flight = { namespace: ns.name, key, invalidated: false, tagged };
    const registered = this.byKey.size < this.max;
    if (registered) this.byKey.set(key, flight);
    const loading = attempt(() => load(flight));
    flight.promise = loading;
    if (!registered) return loading;
    const land = () => {
      if (this.byKey.get(key) === flight) this.byKey.delete(key);
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

  /**
   * Marks the flight of a key invalidated: its result will not be stored, and callers arriving
   * from now on start a new load rather than join one that began before the eviction.
   */
  invalidate(key: string): void {
    const flight = this.byKey.get(key);
    if (!flight) return;
    flight.invalidated = true;
    this.byKey.delete(key);
  }

  /** Invalidates every flight `matches` selects (deleting from a Map while iterating it is safe). */
  invalidateWhere(matches: (flight: Flight) => boolean): void {
    for (const flight of this.byKey.values()) if (matches(flight)) this.invalidate(flight.key);
  }
}
