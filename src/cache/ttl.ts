import type { ResolvedPolicy } from './cache-policy.js';
import type { L1Put } from './tiers.js';

/** A TTL shortened by up to the policy's jitter, so entries written together do not expire together. */
export function jitter(ttlMs: number, policy: ResolvedPolicy): number {
  return policy.jitter > 0 ? Math.round(ttlMs * (1 - Math.random() * policy.jitter)) : ttlMs;
}

/**
 * When a hit starts refreshing a value: in the last `earlyRefresh` share of the TTL it was stored
 * with — the entry's own TTL, not the policy's, so an entry stored with a shorter TTL is not
 * refreshed on every hit. (An entry from an older writer, without its TTL, uses the time left.)
 */
export function refreshAfter(
  policy: ResolvedPolicy,
  freshUntil: number,
  ttlMs: number | undefined,
  now: number,
): number {
  if (policy.earlyRefresh <= 0) return freshUntil;
  const lifetime = ttlMs ?? Math.max(0, freshUntil - now);
  return freshUntil - policy.earlyRefresh * lifetime;
}

/** How long L1 keeps a value that stays fresh in L2 until `freshUntil`: never past the L1 TTL. */
export const l1FreshUntil = (policy: ResolvedPolicy, freshUntil: number, now: number) =>
  Math.min(freshUntil, now + policy.l1TtlMs);

/** A value as stored in L2: fresh until `freshUntil`, stored for `ttlMs` (when known), with its tags. */
export interface StoredValue {
  value: unknown;
  freshUntil: number;
  ttlMs: number | undefined;
  tags: readonly string[] | undefined;
}

/**
 * What L1 stores for a value that stays fresh until `freshUntil` in L2, where it was stored for
 * `ttlMs` (its own TTL, when known): kept no longer than the L1 TTL, served stale for the grace
 * period, and refreshed early from the point {@link refreshAfter} gives.
 */
export function l1PutOf(policy: ResolvedPolicy, now: number, stored: StoredValue): L1Put {
  return {
    value: stored.value,
    freshUntil: l1FreshUntil(policy, stored.freshUntil, now),
    graceMs: policy.graceMs,
    tags: stored.tags,
    refreshAfter: refreshAfter(policy, stored.freshUntil, stored.ttlMs, now),
  };
}
