import {
  BASE_POLICY,
  DEFAULT_POLICIES,
  InvalidCachePolicyError,
  resolvePolicies,
  type CachePolicyOptions,
} from './cache-policy.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Resolves, expecting a failure; returns the error. */
function failure(overrides: Record<string, unknown>): Error {
  try {
    resolvePolicies(overrides as Record<string, CachePolicyOptions>);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`${JSON.stringify(overrides)} was accepted`);
}

describe('resolvePolicies', () => {
  describe('defaults', () => {
    const policies = resolvePolicies();

    it.each([
      ['user', 30 * MINUTE, 30 * MINUTE],
      ['video', HOUR, HOUR],
      ['video-status', 5 * MINUTE, 5 * MINUTE],
      ['static', DAY, 7 * DAY],
      ['analytics', 30 * MINUTE, 30 * MINUTE],
      ['search', 10 * MINUTE, 10 * MINUTE],
      ['session', DAY, DAY],
    ])('%s: L1 %d ms, L2 %d ms', (namespace, l1TtlMs, l2TtlMs) => {
      expect(policies.get(namespace)).toMatchObject({ namespace, l1TtlMs, l2TtlMs });
    });

    it('has exactly the documented namespaces', () => {
      expect([...policies.keys()].sort()).toEqual([
        'analytics',
        'recommendations',
        'search',
        'session',
        'static',
        'user',
        'video',
        'video-status',
      ]);
    });

    it('fills every field, within its range', () => {
      for (const policy of policies.values()) {
        expect(Object.keys(policy).sort()).toEqual([...Object.keys(BASE_POLICY), 'namespace'].sort());
        expect(policy.jitter).toBeGreaterThanOrEqual(0);
        expect(policy.jitter).toBeLessThanOrEqual(0.5);
        expect(policy.l1TtlMs).toBeLessThanOrEqual(policy.l2TtlMs);
      }
    });

    it('gives L1 shares that add up to at most the whole', () => {
      const total = [...policies.values()].reduce((sum, p) => sum + p.l1Share, 0);
      expect(total).toBeLessThanOrEqual(1);
    });
  });

  describe('overrides', () => {
    it('merge field by field over the defaults', () => {
      const video = resolvePolicies({ video: { l2TtlMs: 2 * HOUR, jitter: 0 } }).get('video')!;
      expect(video).toMatchObject({
        l2TtlMs: 2 * HOUR,
        jitter: 0,
        l1TtlMs: HOUR,
        l1Share: DEFAULT_POLICIES.video!.l1Share,
      });
      expect(video.earlyRefresh).toBe(DEFAULT_POLICIES.video!.earlyRefresh);
      expect(video.compressAboveBytes).toBe(BASE_POLICY.compressAboveBytes);
    });

    it('leave the other namespaces alone', () => {
      const policies = resolvePolicies({ video: { l2TtlMs: 2 * HOUR } });
      expect(policies.get('user')).toEqual(resolvePolicies().get('user'));
    });

    it('add new namespaces on top of the base policy', () => {
      const reports = resolvePolicies({ 'weekly-reports': { l2TtlMs: 7 * DAY } }).get('weekly-reports')!;
      expect(reports).toEqual({ ...BASE_POLICY, namespace: 'weekly-reports', l2TtlMs: 7 * DAY });
    });

    it('cap the L1 TTL by the L2 TTL', () => {
      expect(resolvePolicies({ user: { l1TtlMs: HOUR, l2TtlMs: MINUTE } }).get('user')!.l1TtlMs).toBe(MINUTE);
    });

    it('accept the ends of each range', () => {
      expect(() =>
        resolvePolicies({
          user: { jitter: 0.5, l1Share: 1, l1TtlMs: 0, earlyRefresh: 0.9, graceMs: 0, nullTtlMs: 0 },
        }),
      ).not.toThrow();
      expect(() => resolvePolicies({ user: { compressAboveBytes: 0 } })).not.toThrow();
    });

    it('can come from custom defaults', () => {
      const policies = resolvePolicies({}, { only: { l2TtlMs: 5 } });
      expect([...policies.keys()]).toEqual(['only']);
    });
  });

  describe('invalid values throw an InvalidCachePolicyError naming the namespace and field', () => {
    it.each([
      ['a negative TTL', { user: { l2TtlMs: -1 } }, /user\.l2TtlMs=-1/],
      ['a zero L2 TTL', { user: { l2TtlMs: 0 } }, /user\.l2TtlMs=0/],
      ['a negative L1 TTL', { video: { l1TtlMs: -5 } }, /video\.l1TtlMs=-5/],
      ['NaN', { search: { graceMs: NaN } }, /search\.graceMs/],
      ['Infinity', { search: { nullTtlMs: Infinity } }, /search\.nullTtlMs/],
      ['a numeric string', { user: { l1TtlMs: '1000' } }, /user\.l1TtlMs="1000"/],
      ['null', { user: { jitter: null } }, /user\.jitter=null/],
      ['jitter over 0.5', { user: { jitter: 0.6 } }, /user\.jitter=0\.6 must be a number from 0 to 0\.5/],
      ['a negative jitter', { user: { jitter: -0.1 } }, /user\.jitter/],
      ['an L1 share over 1', { video: { l1Share: 1.5 } }, /video\.l1Share/],
      ['early refresh over 0.9', { video: { earlyRefresh: 1 } }, /video\.earlyRefresh/],
      [
        'a negative compression threshold',
        { static: { compressAboveBytes: -1 } },
        /static\.compressAboveBytes/,
      ],
      ['a TTL over a year', { static: { l2TtlMs: 400 * DAY } }, /static\.l2TtlMs/],
      ['an unknown field', { user: { ttl: 1000 } }, /cache policy user: unknown field "ttl"/],
      ['a misspelt field', { video: { l2TTLMs: 1000 } }, /video: unknown field "l2TTLMs"/],
      [
        'an unknown field named like an Object method',
        { user: { constructor: 5 } },
        /user: unknown field "constructor"/,
      ],
      ['an unknown field named toString', { user: { toString: 5 } }, /user: unknown field "toString"/],
      [
        'an own __proto__ field (from JSON)',
        { user: JSON.parse('{"__proto__": 5}') },
        /user: unknown field "__proto__"/,
      ],
      ['an upper-case namespace', { Video: {} }, /namespace "Video"/],
      ['a namespace with a colon', { 'video:x': {} }, /namespace "video:x"/],
      ['a namespace with a glob', { 'video*': {} }, /namespace "video\*"/],
      ['the reserved meta segment', { '%meta': {} }, /namespace "%meta"/],
      ['an empty namespace', { '': {} }, /namespace ""/],
      ['a trailing dash', { 'video-': {} }, /namespace "video-"/],
    ])('%s', (_, overrides, message) => {
      const error = failure(overrides);
      expect(error).toBeInstanceOf(InvalidCachePolicyError);
      expect(error.message).toMatch(message);
    });
  });
});
