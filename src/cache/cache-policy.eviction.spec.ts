import {
  BASE_POLICY,
  InvalidCachePolicyError,
  resolvePolicies,
  type CachePolicyOptions,
} from './cache-policy.js';

describe('cache policy: eviction', () => {
  it('is tinylfu unless a namespace asks for lru', () => {
    const policies = resolvePolicies({ video: { eviction: 'lru' } }, { user: {}, video: {} });
    expect(BASE_POLICY.eviction).toBe('tinylfu');
    expect(policies.get('user')!.eviction).toBe('tinylfu');
    expect(policies.get('video')!.eviction).toBe('lru');
  });

  it.each([['lfu'], [''], [1], [null]])(
    'refuses eviction=%p, naming the namespace and the choices',
    (value) => {
      const overrides = { video: { eviction: value } } as unknown as Record<string, CachePolicyOptions>;
      expect(() => resolvePolicies(overrides)).toThrow(InvalidCachePolicyError);
      expect(() => resolvePolicies(overrides)).toThrow(/video\.eviction=.*must be one of tinylfu, lru/);
    },
  );
});
