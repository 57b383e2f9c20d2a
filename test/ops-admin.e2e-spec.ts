import { Injectable } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Cacheable, HybridCacheService } from '../src/cache/index.js';
import { ReadinessState } from '../src/health/readiness-state.js';
import { WarmupTask } from '../src/warmup/warmup-task.decorator.js';
import type { WarmupItem } from '../src/warmup/warmup.types.js';
import { waitFor } from './fixtures/deferred.js';
import { closeAll, createOpsApp } from './fixtures/ops-app.js';
import { deletePrefix, rawClient, TEST_REDIS_URL, uniquePrefix } from './fixtures/redis.js';

const TOKEN = 'test-admin-token-0123456789';

/** The database both replicas share. */
const source = new Map<string, string>();

@Injectable()
class DocsService {
  @Cacheable({
    namespace: 'doc',
    key: (id: string) => ['doc', id],
    tags: (_result: string, id: string) => [`doc-tag:${id}`],
  })
  async find(id: string): Promise<string> {
    return source.get(id) ?? 'missing';
  }
}

@Injectable()
class DocsWarmup {
  constructor(private readonly docs: DocsService) {}

  @WarmupTask({ name: 'docs' })
  list(): WarmupItem[] {
    return [{ name: 'w', warm: () => this.docs.find('w') }];
  }
}

const cacheOptions = (prefix: string) => ({
  prefix,
  redisUrl: TEST_REDIS_URL,
  policies: { doc: { jitter: 0 }, other: { jitter: 0 } },
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('admin API', () => {
  const redis = rawClient();
  const prefix = uniquePrefix('admin');
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;

  beforeAll(async () => {
    const boot = () =>
      createOpsApp({
        cache: cacheOptions(prefix),
        env: { ADMIN_TOKEN: TOKEN },
        providers: [DocsService, DocsWarmup],
      });
    [a, b] = await Promise.all([boot(), boot()]);
    await Promise.all([a, b].map((app) => app.get(ReadinessState).whenWarmupSettled()));
  });
  afterAll(async () => {
    await closeAll(a, b);
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  describe('the bearer token guard', () => {
    it.each([
      ['GET', '/admin/cache/stats'],
      ['POST', '/admin/cache/invalidate'],
      ['POST', '/admin/cache/warmup'],
    ] as const)('%s %s without a token is 401 with WWW-Authenticate: Bearer', async (method, url) => {
      const response = await a.inject({ method, url, payload: method === 'POST' ? {} : undefined });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="vidcache-admin"');
    });

    it.each([
      ['a wrong token', `Bearer ${TOKEN}x`],
      ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
      ['another scheme', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
      ['an empty bearer', 'Bearer '],
    ])('%s is 401', async (_label, authorization) => {
      const response = await a.inject({
        method: 'GET',
        url: '/admin/cache/stats',
        headers: { authorization },
      });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="vidcache-admin"/);
    });

    it('the right token is let through (the scheme is case-insensitive)', async () => {
      const response = await a.inject({
        method: 'GET',
        url: '/admin/cache/stats',
        headers: { authorization: `bearer ${TOKEN}` },
      });
      expect(response.statusCode).toBe(200);
    });

    it('with ADMIN_TOKEN unset, every request is 401, whatever token it carries', async () => {
      const closed = await createOpsApp({
        cache: { prefix: uniquePrefix('admin-closed'), redisUrl: TEST_REDIS_URL },
        env: { ADMIN_TOKEN: '' },
      });
      try {
        for (const headers of [{}, bearer(TOKEN), bearer('undefined'), bearer('')]) {
          const response = await closed.inject({ method: 'GET', url: '/admin/cache/stats', headers });
          expect(response.statusCode).toBe(401);
          expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
        }
      } finally {
        await closed.close();
      }
    });
  });

  it('GET /admin/cache/stats has the documented shape and the warm-up report', async () => {
    source.set('s1', 'one');
    const docs = a.get(DocsService);
    await docs.find('s1');
    await docs.find('s1');

    const response = await a.inject({ method: 'GET', url: '/admin/cache/stats', headers: bearer(TOKEN) });
    expect(response.statusCode).toBe(200);
    const stats = response.json();
    expect(stats.overall.hitRate).toEqual(expect.any(Number));
    expect(stats.namespaces.doc).toMatchObject({
      hitRate: expect.any(Number),
      l1: { hits: expect.any(Number), misses: expect.any(Number) },
      l2: { hits: expect.any(Number), misses: expect.any(Number) },
      loads: expect.any(Number),
    });
    expect(stats.namespaces.doc.l1.hits).toBeGreaterThanOrEqual(1);
    expect(stats.l1).toMatchObject({
      entries: expect.any(Number),
      bytes: expect.any(Number),
      maxBytes: expect.any(Number),
    });
    expect(stats.l2.status).toBe('up');
    expect(stats.alerts).toEqual(expect.any(Array));
    expect(stats.warmup.last).toMatchObject({ items: 1, succeeded: 1, role: expect.any(String) });
  });

  describe('POST /admin/cache/invalidate', () => {
    const invalidate = (app: NestFastifyApplication, payload: object) =>
      app.inject({ method: 'POST', url: '/admin/cache/invalidate', headers: bearer(TOKEN), payload });

    /** Reads a doc on both replicas, so each holds it in L1; returns B's full key for it. */
    async function cachedOnBoth(id: string, value: string): Promise<string> {
      source.set(id, value);
      await a.get(DocsService).find(id);
      expect(await b.get(DocsService).find(id)).toBe(value);
      const cacheB = b.get(HybridCacheService);
      const key = cacheB.keyOf('doc', ['doc', id]);
      expect(cacheB.inL1(key)).toBe(true);
      return key;
    }

    const inL1OfB = (key: string) => b.get(HybridCacheService).inL1(key);

    it('keys invalidated on one replica leave the other replica’s L1 and Redis', async () => {
      const key = await cachedOnBoth('k1', 'old');
      source.set('k1', 'new');

      const response = await invalidate(a, { keys: [{ namespace: 'doc', key: ['doc', 'k1'] }] });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        invalidated: { keys: 1, patterns: 0, tags: 0, namespace: null },
        replicas: { replicas: 1, confirmed: 1 },
      });

      await waitFor(() => !inL1OfB(key), 2_000);
      // Gone from Redis too (an eviction leaves a tombstone there, which reads as absent).
      expect(await a.get(HybridCacheService).get('doc', ['doc', 'k1'])).toBeUndefined();
      expect(await b.get(DocsService).find('k1')).toBe('new');
    });

    it('a pattern ("*" parts match anything) reaches the other replica, and stays literal otherwise', async () => {
      const matching = await cachedOnBoth('p-1', 'x');
      const literal = await cachedOnBoth('p*', 'y');
      // ["doc", "p*"] names the key "p*" exactly; it must not match "p-1".
      expect(
        (await invalidate(a, { patterns: [{ namespace: 'doc', pattern: ['doc', 'p*'] }] })).statusCode,
      ).toBe(200);
      await waitFor(() => !inL1OfB(literal), 2_000);
      expect(inL1OfB(matching)).toBe(true);

      expect(
        (await invalidate(a, { patterns: [{ namespace: 'doc', pattern: ['doc', '*'] }] })).statusCode,
      ).toBe(200);
      await waitFor(() => !inL1OfB(matching), 2_000);
    });

    it('tags and a whole namespace are invalidated everywhere; other namespaces are untouched', async () => {
      // B loads it from the source, so its L1 entry carries the tag. (An entry B copied from L2 does
      // not: the cache core does not keep tags in L2 entries; see the report of this change.)
      source.set('t1', 'x');
      await b.get(DocsService).find('t1');
      const cacheB = b.get(HybridCacheService);
      const tagged = cacheB.keyOf('doc', ['doc', 't1']);
      expect(inL1OfB(tagged)).toBe(true);
      await cacheB.wrap('other', 'kept', () => 'value');
      const kept = cacheB.keyOf('other', 'kept');

      expect((await invalidate(a, { tags: ['doc-tag:t1'] })).statusCode).toBe(200);
      await waitFor(() => !inL1OfB(tagged), 2_000);

      const everything = await cachedOnBoth('n1', 'x');
      const response = await invalidate(a, { namespace: 'doc' });
      expect(response.json()).toMatchObject({
        invalidated: { keys: 0, patterns: 0, tags: 0, namespace: 'doc' },
      });
      await waitFor(() => !inL1OfB(everything), 2_000);
      expect(cacheB.inL1(kept)).toBe(true);
    });

    it.each([
      ['an empty body', {}],
      ['an unknown namespace', { namespace: 'nope' }],
      ['a key that is an object', { keys: [{ namespace: 'doc', key: { id: 1 } }] }],
      ['a pattern that is a string', { patterns: [{ namespace: 'doc', pattern: 'doc:*' }] }],
      ['an unknown field', { everything: true }],
      ['an empty tag', { tags: [''] }],
    ])('%s is a 400 that evicts nothing', async (_label, payload) => {
      const key = await cachedOnBoth('v1', 'kept');
      const response = await invalidate(a, payload);
      expect(response.statusCode).toBe(400);
      expect(response.json().message).toBeDefined();
      expect(a.get(HybridCacheService).inL1(key)).toBe(true);
    });
  });

  it('POST /admin/cache/warmup runs a warm-up now and answers with its report', async () => {
    const before = a.get(HybridCacheService).stats().namespaces.doc!.loads;
    const response = await a.inject({ method: 'POST', url: '/admin/cache/warmup', headers: bearer(TOKEN) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      trigger: 'manual',
      role: 'leader',
      result: 'success',
      items: 1,
      succeeded: 1,
      failedCount: 0,
      durationMs: expect.any(Number),
      startedAt: expect.any(String),
    });
    expect(a.get(HybridCacheService).stats().namespaces.doc!.loads).toBeGreaterThanOrEqual(before);
  });
});
