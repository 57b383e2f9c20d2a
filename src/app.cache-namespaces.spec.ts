import { BASE_POLICY, resolvePolicies } from './cache/cache-policy.js';
import { APP_CACHE_NAMESPACES } from './app.cache-namespaces.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('the app’s cache namespaces', () => {
  const policies = resolvePolicies({}, APP_CACHE_NAMESPACES);

  it.each([
    ['user', 30 * MINUTE, 30 * MINUTE],
    ['video', HOUR, HOUR],
    ['video-status', 5 * MINUTE, 5 * MINUTE],
    ['static', DAY, 7 * DAY],
    ['analytics', 30 * MINUTE, 30 * MINUTE],
    ['search', 10 * MINUTE, 10 * MINUTE],
    ['session', DAY, DAY],
    ['recommendations', 10 * MINUTE, 30 * MINUTE],
  ])('%s: L1 %d ms, L2 %d ms', (namespace, l1TtlMs, l2TtlMs) => {
    expect(policies.get(namespace)).toMatchObject({ namespace, l1TtlMs, l2TtlMs });
  });

  it('are exactly the documented namespaces', () => {
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

  it('fill every field, within its range', () => {
    for (const policy of policies.values()) {
      expect(Object.keys(policy).sort()).toEqual([...Object.keys(BASE_POLICY), 'namespace'].sort());
      expect(policy.jitter).toBeGreaterThanOrEqual(0);
      expect(policy.jitter).toBeLessThanOrEqual(0.5);
      expect(policy.l1TtlMs).toBeLessThanOrEqual(policy.l2TtlMs);
    }
  });

  it('give L1 shares that add up to at most the whole', () => {
    const total = [...policies.values()].reduce((sum, p) => sum + p.l1Share, 0);
    expect(total).toBeLessThanOrEqual(1);
  });
});
