import { randomUUID } from 'node:crypto';
import type { RedisOptions } from 'ioredis';
import { NAMESPACE_NAME } from './cache.constants.js';
import { resolvePolicies, type CachePolicyOptions, type ResolvedPolicy } from './cache-policy.js';
import { coarseClock } from './coarse-clock.js';
import { InvalidRedisTopologyError, resolveTopology, type RedisTopology } from '../redis/redis-topology.js';

/** Options of `CacheModule.forRoot`; every field is optional. */
export interface CacheModuleOptions {
  /** Prefix of every Redis key and channel. Default `vidcache`. */
  prefix?: string;
  /**
   * `redis://` or `rediss://` URL of L2; unset (and no cluster or sentinels) runs memory-only. With
   * cluster nodes or sentinels it only supplies credentials and TLS.
   */
  redisUrl?: string;
  /** Redis Cluster seed nodes (`host:port`): selects Cluster mode. */
  redisClusterNodes?: readonly string[];
  /** Redis Sentinel addresses (`host:port`), with `redisSentinelName`: selects Sentinel mode. */
  redisSentinels?: readonly string[];
  /** The master group name the sentinels monitor. */
  redisSentinelName?: string;
  /** Extra ioredis options (TLS, sentinel, …) merged over the ones the module sets. */
  redisOptions?: RedisOptions;
  /**
   * The namespaces the app caches in, each with its default policy (fields left out take
   * `BASE_POLICY`'s). The cache knows no namespace of its own.
   */
  namespaces?: Readonly<Record<string, CachePolicyOptions>>;
  /** Per-namespace overrides of those defaults (from configuration), and new namespaces. */
  policies?: Record<string, CachePolicyOptions>;
  l1?: { maxBytes?: number; maxEntries?: number };
  l2?: {
    /** No request waits on Redis longer than this. Default 150 ms. */
    timeoutMs?: number;
    /** Consecutive L2 failures that open the circuit. Default 5. */
    failureThreshold?: number;
    /** How long an open circuit skips L2 before probing it. Default 5 s. */
    cooldownMs?: number;
    /** Lifetime of the tombstone an eviction leaves, which must exceed the slowest load. Default 60 s. */
    tombstoneTtlMs?: number;
  };
  coherence?: {
    /**
     * B: once a write has answered, no replica serves an older value of what it changed more than
     * this many ms later. Heartbeats on the bus go out every B/6, and a replica that has heard none
     * for 2B/3 stops serving L1. Default 300 ms.
     */
    stalenessBoundMs?: number;
  };
  /** Bound of the in-flight load registry (single-flight). Default 10 000. */
  maxInFlight?: number;
  /** Bound of the evictions kept while Redis is unreachable before they collapse into namespace clears. */
  maxPendingEvictions?: number;
  /** This replica's id on the invalidation bus. Default: random. */
  instanceId?: string;
  /** Clock, replaceable in tests. Default: `Date.now` read at most once a millisecond (`coarseClock`). */
  now?: () => number;
}

/** The options once resolved and validated: what every part of the cache reads. */
export interface ResolvedCacheOptions {
  readonly prefix: string;
  /** Undefined: memory-only. */
  readonly redis: RedisTopology | undefined;
  readonly redisOptions: RedisOptions;
  readonly policies: ReadonlyMap<string, ResolvedPolicy>;
  readonly l1: { readonly maxBytes: number; readonly maxEntries: number };
  readonly l2: {
    readonly timeoutMs: number;
    readonly failureThreshold: number;
    readonly cooldownMs: number;
    readonly tombstoneTtlMs: number;
  };
  readonly coherence: {
    readonly stalenessBoundMs: number;
    readonly heartbeatMs: number;
    readonly deafAfterMs: number;
  };
  readonly maxInFlight: number;
  readonly maxPendingEvictions: number;
  readonly instanceId: string;
  readonly now: () => number;
}

export class InvalidCacheOptionsError extends Error {
  override readonly name = 'InvalidCacheOptionsError';
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved <= 0) {
    throw new InvalidCacheOptionsError(`cache option ${name}=${String(value)} must be a positive number`);
  }
  return resolved;
}

/** Resolves and validates module options once, at start-up. */
export function resolveCacheOptions(options: CacheModuleOptions = {}): ResolvedCacheOptions {
  const prefix = options.prefix ?? 'vidcache';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    throw new InvalidCacheOptionsError(
      `cache prefix "${prefix}" must be 1-64 letters, digits, "_", "." or "-"`,
    );
  }
  if (options.redisUrl !== undefined && !/^rediss?:\/\//.test(options.redisUrl)) {
    throw new InvalidCacheOptionsError(`REDIS_URL must start with redis:// or rediss://`);
  }
  let redis: RedisTopology | undefined;
  try {
    redis = resolveTopology(options);
  } catch (error) {
    if (error instanceof InvalidRedisTopologyError) throw new InvalidCacheOptionsError(error.message);
    throw error;
  }
  for (const name of Object.keys(options.policies ?? {})) {
    if (!NAMESPACE_NAME.test(name))
      throw new InvalidCacheOptionsError(`cache namespace "${name}" is not a valid name`);
  }
  return {
    prefix,
    redis,
    redisOptions: options.redisOptions ?? {},
    policies: resolvePolicies(options.policies, options.namespaces),
    l1: {
      maxBytes: positive('l1.maxBytes', options.l1?.maxBytes, 256 * 1024 * 1024),
      maxEntries: positive('l1.maxEntries', options.l1?.maxEntries, 100_000),
    },
    l2: {
      timeoutMs: positive('l2.timeoutMs', options.l2?.timeoutMs, 150),
      failureThreshold: positive('l2.failureThreshold', options.l2?.failureThreshold, 5),
      cooldownMs: positive('l2.cooldownMs', options.l2?.cooldownMs, 5_000),
      tombstoneTtlMs: positive('l2.tombstoneTtlMs', options.l2?.tombstoneTtlMs, 60_000),
    },
    coherence: resolveCoherence(options.coherence?.stalenessBoundMs),
    maxInFlight: positive('maxInFlight', options.maxInFlight, 10_000),
    maxPendingEvictions: positive('maxPendingEvictions', options.maxPendingEvictions, 10_000),
    instanceId: options.instanceId ?? randomUUID(),
    now: options.now ?? coarseClock(),
  };
}

/** The staleness bound B, and the bus timing derived from it. */
function resolveCoherence(boundMs: number | undefined): ResolvedCacheOptions['coherence'] {
  const stalenessBoundMs = positive('coherence.stalenessBoundMs', boundMs, 300);
  if (stalenessBoundMs < 60) {
    throw new InvalidCacheOptionsError(
      `cache option coherence.stalenessBoundMs=${stalenessBoundMs} must be at least 60 (heartbeats go out every B/6)`,
    );
  }
  return {
    stalenessBoundMs,
    heartbeatMs: Math.round(stalenessBoundMs / 6),
    deafAfterMs: Math.round((stalenessBoundMs * 2) / 3),
  };
}
