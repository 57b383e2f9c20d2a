import { jest } from '@jest/globals';
import { InvalidCacheOptionsError, resolveCacheOptions, type CacheModuleOptions } from './cache-options.js';
import { InvalidCachePolicyError } from './cache-policy.js';

const MINUTE = 60_000;

function failure(options: CacheModuleOptions): Error {
  try {
    resolveCacheOptions(options);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the options were accepted');
}

describe('resolveCacheOptions', () => {
  it('has defaults for everything', () => {
    const options = resolveCacheOptions();
    expect(options).toMatchObject({
      prefix: 'vidcache',
      redisOptions: {},
      l1: { maxBytes: 256 * 1024 * 1024, maxEntries: 100_000 },
      l2: { timeoutMs: 150, failureThreshold: 5, cooldownMs: 5_000, tombstoneTtlMs: 60_000 },
      maxInFlight: 10_000,
      maxPendingEvictions: 10_000,
    });
    // The default clock is the system's, read at most once a millisecond (coarse-clock.ts).
    expect(options.now).not.toBe(Date.now);
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    try {
      expect(options.now()).toBe(1_700_000_000_000);
    } finally {
      jest.useRealTimers();
    }
    // The cache knows no namespace of its own: the app names them all.
    expect(options.policies.size).toBe(0);
  });

  it('gives each replica its own random instance id unless one is set', () => {
    expect(resolveCacheOptions().instanceId).not.toBe(resolveCacheOptions().instanceId);
    expect(resolveCacheOptions().instanceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(resolveCacheOptions({ instanceId: 'replica-1' }).instanceId).toBe('replica-1');
  });

  it('accepts redis:// and rediss:// URLs', () => {
    expect(() => resolveCacheOptions({ redisUrl: 'redis://127.0.0.1:6379' })).not.toThrow();
    expect(() =>
      resolveCacheOptions({ redisUrl: 'rediss://user:secret@redis.internal:6380/2' }),
    ).not.toThrow();
  });

  it('takes what it is given', () => {
    const now = () => 42;
    // Taken as they are:
    const given = {
      prefix: 'vc.test_1-a',
      redisOptions: { tls: {} },
      l1: { maxBytes: 1024, maxEntries: 10 },
      l2: { timeoutMs: 50, failureThreshold: 2, cooldownMs: 100, tombstoneTtlMs: 1_000 },
      maxInFlight: 5,
      maxPendingEvictions: 7,
    };
    const options = resolveCacheOptions({
      ...given,
      redisUrl: 'rediss://user:secret@redis.internal:6380/2',
      now,
      namespaces: { user: {}, video: { l1TtlMs: 60 * MINUTE, l2TtlMs: 60 * MINUTE } },
      policies: { video: { l2TtlMs: 2 * 60 * MINUTE }, reports: { l2TtlMs: MINUTE } },
    });
    expect(options).toMatchObject(given);
    expect(options.now).toBe(now);
    expect(options.policies.get('video')).toMatchObject({ l2TtlMs: 2 * 60 * MINUTE, l1TtlMs: 60 * MINUTE });
    expect(options.policies.get('reports')!.l2TtlMs).toBe(MINUTE);
    expect(options.policies.has('user')).toBe(true);
  });

  it('merges a partial l1 or l2 block with the defaults', () => {
    const options = resolveCacheOptions({ l1: { maxEntries: 5 }, l2: { cooldownMs: 10 } });
    expect(options.l1).toEqual({ maxBytes: 256 * 1024 * 1024, maxEntries: 5 });
    expect(options.l2).toEqual({
      timeoutMs: 150,
      failureThreshold: 5,
      cooldownMs: 10,
      tombstoneTtlMs: 60_000,
    });
  });

  describe('invalid options throw an InvalidCacheOptionsError naming the option', () => {
    it.each<[string, CacheModuleOptions, RegExp]>([
      ['an empty prefix', { prefix: '' }, /cache prefix ""/],
      ['a prefix with a colon', { prefix: 'vid:cache' }, /cache prefix "vid:cache"/],
      ['a prefix with a glob', { prefix: 'vid*' }, /cache prefix "vid\*"/],
      ['a prefix with a space', { prefix: 'vid cache' }, /cache prefix "vid cache"/],
      ['a prefix over 64 characters', { prefix: 'p'.repeat(65) }, /cache prefix/],
      [
        'an http URL',
        { redisUrl: 'http://127.0.0.1:6379' },
        /REDIS_URL must start with redis:\/\/ or rediss:\/\//,
      ],
      ['a bare host', { redisUrl: '127.0.0.1:6379' }, /REDIS_URL/],
      ['an empty URL', { redisUrl: '' }, /REDIS_URL/],
      ['a negative l1.maxBytes', { l1: { maxBytes: -1 } }, /l1\.maxBytes=-1 must be a positive number/],
      ['a zero l1.maxEntries', { l1: { maxEntries: 0 } }, /l1\.maxEntries=0/],
      ['NaN l2.timeoutMs', { l2: { timeoutMs: NaN } }, /l2\.timeoutMs=NaN/],
      ['an infinite l2.cooldownMs', { l2: { cooldownMs: Infinity } }, /l2\.cooldownMs=Infinity/],
      ['a negative l2.failureThreshold', { l2: { failureThreshold: -3 } }, /l2\.failureThreshold=-3/],
      ['a zero l2.tombstoneTtlMs', { l2: { tombstoneTtlMs: 0 } }, /l2\.tombstoneTtlMs=0/],
      ['a zero maxInFlight', { maxInFlight: 0 }, /maxInFlight=0/],
      ['a negative maxPendingEvictions', { maxPendingEvictions: -1 }, /maxPendingEvictions=-1/],
      [
        'a bad namespace name',
        { policies: { 'Bad Name': {} } },
        /cache namespace "Bad Name" is not a valid name/,
      ],
    ])('%s', (_, options, message) => {
      const error = failure(options);
      expect(error).toBeInstanceOf(InvalidCacheOptionsError);
      expect(error.message).toMatch(message);
    });

    it('a bad policy value surfaces the policy error, naming namespace and field', () => {
      const error = failure({ policies: { video: { l2TtlMs: -1 } } });
      expect(error).toBeInstanceOf(InvalidCachePolicyError);
      expect(error.message).toMatch(/video\.l2TtlMs=-1/);
    });

    it('never echoes a Redis password in its message', () => {
      expect(failure({ redisUrl: 'http://user:hunter2@host' }).message).not.toContain('hunter2');
    });
  });
});
