import { NAMESPACE_NAME } from './cache.constants.js';

/** How one kind of data is cached. Every field has a default; see {@link DEFAULT_POLICIES}. */
export interface CachePolicy {
  /** Time an entry stays fresh in L1 (capped by the time that remains in L2). */
  readonly l1TtlMs: number;
  /** Time an entry stays fresh in L2. */
  readonly l2TtlMs: number;
  /** Share of L1's byte and entry budget this namespace may use (shares are normalised to sum ≤ 1). */
  readonly l1Share: number;
  /** Values whose serialized payload is larger than this are compressed in L2. */
  readonly compressAboveBytes: number;
  /** TTLs are shortened by a random fraction up to this, so entries written together do not expire together. */
  readonly jitter: number;
  /** How long after expiry a value may still be served when the source fails (stale-if-error). */
  readonly graceMs: number;
  /** TTL of a cached `null` ("not found"); 0 does not cache `null`. */
  readonly nullTtlMs: number;
  /** A hit with less than this fraction of its TTL left refreshes it in the background; 0 is off. */
  readonly earlyRefresh: number;
  /**
   * Single-flight across replicas: when > 0, a replica that misses in L2 takes a short Redis lock
   * before loading; the others wait up to this many ms for the value to appear in L2, then load
   * themselves rather than fail. 0 (the default) loads on every replica that misses.
   */
  readonly lockWaitMs: number;
  /**
   * Soft timeout of a load that has a stale value within grace to fall back on: past this many ms
   * the stale value is answered and the load finishes in the background. 0 is off.
   */
  readonly softTimeoutMs: number;
  /**
   * Fail-safe throttle: after the source failed and a stale value was served, the key is not
   * tried against the source again for this many ms (the stale value is served meanwhile).
   */
  readonly failSafeThrottleMs: number;
  /**
   * How L1 chooses what to evict in this namespace. `tinylfu` (the default) keeps what is read most
   * often, so a scan of cold keys cannot flush the hot set; `lru` keeps what was read last, which
   * wins only when reads come back within the cache's reach and rarely later.
   */
  readonly eviction: L1Eviction;
}

/** The L1 eviction policies a namespace can choose. */
export const L1_EVICTIONS = ['tinylfu', 'lru'] as const;
export type L1Eviction = (typeof L1_EVICTIONS)[number];

export type CachePolicyOptions = Partial<CachePolicy>;
export interface ResolvedPolicy extends CachePolicy {
  readonly namespace: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const BASE_POLICY: CachePolicy = {
  l1TtlMs: 10 * MINUTE,
  l2TtlMs: 10 * MINUTE,
  l1Share: 0.05,
  compressAboveBytes: 16 * 1024,
  jitter: 0.1,
  graceMs: 10 * MINUTE,
  nullTtlMs: 30_000,
  earlyRefresh: 0,
  lockWaitMs: 0,
  softTimeoutMs: 100,
  failSafeThrottleMs: 2_000,
  eviction: 'tinylfu',
};

/** The namespaces the service uses, with their default policies. */
export const DEFAULT_POLICIES: Readonly<Record<string, CachePolicyOptions>> = {
  user: { l1TtlMs: 30 * MINUTE, l2TtlMs: 30 * MINUTE, l1Share: 0.15 },
  video: { l1TtlMs: HOUR, l2TtlMs: HOUR, l1Share: 0.25, earlyRefresh: 0.1 },
  'video-status': { l1TtlMs: 5 * MINUTE, l2TtlMs: 5 * MINUTE, l1Share: 0.05, graceMs: MINUTE, jitter: 0.05 },
  static: { l1TtlMs: DAY, l2TtlMs: 7 * DAY, l1Share: 0.1, graceMs: DAY },
  analytics: { l1TtlMs: 30 * MINUTE, l2TtlMs: 30 * MINUTE, l1Share: 0.15, graceMs: HOUR, earlyRefresh: 0.1 },
  search: { l1TtlMs: 10 * MINUTE, l2TtlMs: 10 * MINUTE, l1Share: 0.15 },
  session: { l1TtlMs: DAY, l2TtlMs: DAY, l1Share: 0.1, graceMs: 0, jitter: 0 },
  // Costly to compute and tolerant of age: other users' events reach them only on expiry.
  recommendations: {
    l1TtlMs: 10 * MINUTE,
    l2TtlMs: 30 * MINUTE,
    l1Share: 0.05,
    graceMs: HOUR,
    earlyRefresh: 0.1,
  },
};

export class InvalidCachePolicyError extends Error {
  override readonly name = 'InvalidCachePolicyError';
}

type NumericField = Exclude<keyof CachePolicy, 'eviction'>;

const RANGES: Record<NumericField, [min: number, max: number]> = {
  l1TtlMs: [0, 365 * DAY],
  l2TtlMs: [1, 365 * DAY],
  l1Share: [0, 1],
  compressAboveBytes: [0, 2 ** 31],
  jitter: [0, 0.5],
  graceMs: [0, 365 * DAY],
  nullTtlMs: [0, 365 * DAY],
  earlyRefresh: [0, 0.9],
  lockWaitMs: [0, 60_000],
  softTimeoutMs: [0, 60_000],
  failSafeThrottleMs: [0, 10 * MINUTE],
};

/**
 * Resolves every namespace's policy once: base defaults, then the service's defaults, then the
 * overrides from configuration. Throws a message naming the namespace and field that is wrong.
 */
export function resolvePolicies(
  overrides: Readonly<Record<string, CachePolicyOptions>> = {},
  defaults: Readonly<Record<string, CachePolicyOptions>> = DEFAULT_POLICIES,
): Map<string, ResolvedPolicy> {
  const names = new Set([...Object.keys(defaults), ...Object.keys(overrides)]);
  const policies = new Map<string, ResolvedPolicy>();
  for (const namespace of names) {
    if (!NAMESPACE_NAME.test(namespace)) {
      throw new InvalidCachePolicyError(
        `cache namespace "${namespace}" must be lower-case words joined by dashes`,
      );
    }
    const merged = { ...BASE_POLICY, ...defaults[namespace], ...overrides[namespace] };
    for (const field of Object.keys(merged) as (keyof CachePolicy)[]) {
      if (field === 'eviction') {
        if (!(L1_EVICTIONS as readonly unknown[]).includes(merged.eviction)) {
          throw new InvalidCachePolicyError(
            `cache policy ${namespace}.eviction=${JSON.stringify(merged.eviction)} must be one of ${L1_EVICTIONS.join(', ')}`,
          );
        }
        continue;
      }
      // Own fields only: `constructor`, `toString`, `__proto__` … are not policy fields either.
      const range = Object.hasOwn(RANGES, field) ? RANGES[field] : undefined;
      const value = merged[field];
      if (!range) throw new InvalidCachePolicyError(`cache policy ${namespace}: unknown field "${field}"`);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < range[0] || value > range[1]) {
        throw new InvalidCachePolicyError(
          `cache policy ${namespace}.${field}=${JSON.stringify(value)} must be a number from ${range[0]} to ${range[1]}`,
        );
      }
    }
    policies.set(namespace, { namespace, ...merged, l1TtlMs: Math.min(merged.l1TtlMs, merged.l2TtlMs) });
  }
  return policies;
}
