import { readFileSync } from 'node:fs';
import { decodeEntry } from '../src/cache/cache-codec.js';
import { HybridCacheService } from '../src/cache/index.js';
import type { TestApp } from './fixtures/app.js';
import { cacheStatus, get, L1, L2, MISS, putConfig } from './fixtures/http.js';
import { rawClient } from './fixtures/redis.js';
import { useReplicaPair } from './fixtures/replicas.js';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const redis = rawClient();
afterAll(() => redis.quit());

describe.each(['pglite', 'postgres'] as const)('static content on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  useReplicaPair(database, (pair) => void ({ a, b } = pair));

  describe('GET /templates/:id', () => {
    it('a miss, an L1 hit, another replica’s L2 hit, all identical', async () => {
      const miss = await get(a, '/templates/tpl_000001');
      const l1 = await get(a, '/templates/tpl_000001');
      const l2 = await get(b, '/templates/tpl_000001');

      expect(miss.statusCode).toBe(200);
      expect([cacheStatus(miss), cacheStatus(l1), cacheStatus(l2)]).toEqual([MISS, L1, L2]);
      expect(miss.json()).toMatchObject({ id: 'tpl_000001', name: 'Welcome email', version: 3 });
      expect(l1.body).toBe(miss.body);
      expect(l2.body).toBe(miss.body);
      expect(miss.headers['content-type']).toBe('application/json; charset=utf-8');
    });

    it('an unknown template is a 404, cached briefly', async () => {
      const first = await get(a, '/templates/tpl_999999');
      const second = await get(a, '/templates/tpl_999999');

      expect(first.statusCode).toBe(404);
      expect(first.json().message).toBe('template tpl_999999 not found');
      expect([cacheStatus(first), cacheStatus(second)]).toEqual([MISS, L1]);
      expect(first.headers.etag).toBeUndefined();
    });
  });

  describe('HTTP caching: ETag, Cache-Control, 304', () => {
    it('templates carry a strong ETag of the body and public caching', async () => {
      const res = await get(a, '/templates/tpl_000002');
      const again = await get(b, '/templates/tpl_000002');

      expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      // Same bytes, same tag, whichever tier or replica served them.
      expect(again.headers.etag).toBe(res.headers.etag);
    });

    it.each([
      ['the same tag', (etag: string) => etag],
      ['the weak form of the tag', (etag: string) => `W/${etag}`],
      ['a list containing the tag', (etag: string) => `"other", ${etag}`],
      ['*', () => '*'],
    ])('If-None-Match with %s: 304, no body, the same validators', async (_label, header) => {
      const first = await get(a, '/templates/tpl_000003');
      const etag = first.headers.etag as string;

      const res = await get(a, '/templates/tpl_000003', { 'if-none-match': header(etag) });

      expect(res.statusCode).toBe(304);
      expect(res.body).toBe('');
      expect(res.headers.etag).toBe(etag);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
    });

    it('If-None-Match with another tag: 200 with the body', async () => {
      const res = await get(a, '/templates/tpl_000003', { 'if-none-match': '"not-the-tag"' });
      expect(res.statusCode).toBe(200);
      expect(res.json().id).toBe('tpl_000003');
    });

    it('config is revalidated (no-cache); a PUT changes its ETag, so the old one gets the new body', async () => {
      await putConfig(a, 'etag.test', { v: 1 });
      const before = await get(a, '/config/etag.test');
      expect(before.headers['cache-control']).toBe('no-cache');
      const etag = before.headers.etag as string;
      expect((await get(a, '/config/etag.test', { 'if-none-match': etag })).statusCode).toBe(304);

      await putConfig(a, 'etag.test', { v: 2 });
      const after = await get(a, '/config/etag.test', { 'if-none-match': etag });

      expect(after.statusCode).toBe(200);
      expect(after.json().value).toEqual({ v: 2 });
      expect(after.headers.etag).not.toBe(etag);
    });
  });

  describe('GET /api-docs/:version', () => {
    it('serves the running app’s OpenAPI document: a miss, an L1 hit, another replica’s L2 hit', async () => {
      const miss = await get(a, '/api-docs/v1');
      const l1 = await get(a, '/api-docs/v1');
      const l2 = await get(b, '/api-docs/v1');

      expect([cacheStatus(miss), cacheStatus(l1), cacheStatus(l2)]).toEqual([MISS, L1, L2]);
      const document = miss.json();
      expect(document.info).toMatchObject({ title: 'vidcache', version: '1' });
      expect(document).toEqual((await get(a, '/docs/json')).json());
      expect(l2.body).toBe(miss.body);
    });

    it('api-docs are cached publicly with an ETag, and answer 304', async () => {
      const res = await get(a, '/api-docs/v1');
      const notModified = await get(a, '/api-docs/v1', { 'if-none-match': res.headers.etag as string });

      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect(notModified.statusCode).toBe(304);
      expect(notModified.body).toBe('');
    });

    it('an unknown version is a 404', async () => {
      const res = await get(a, '/api-docs/v2');
      expect(res.statusCode).toBe(404);
      expect(res.json().message).toBe('API version v2 not found');
    });

    it('documents every route of users and static: tags, request and response schemas, errors', async () => {
      const document = (await get(a, '/api-docs/v1')).json<{
        paths: Record<
          string,
          Record<string, { tags?: string[]; responses: Record<string, unknown>; requestBody?: unknown }>
        >;
        components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
      }>();
      const routes = [
        ['post', '/users', '201'],
        ['get', '/users/{id}', '200'],
        ['patch', '/users/{id}', '200'],
        ['post', '/sessions', '201'],
        ['get', '/sessions/{id}', '200'],
        ['delete', '/sessions/{id}', '204'],
        ['post', '/users/{id}/queue', '201'],
        ['get', '/users/{id}/queue', '200'],
        ['delete', '/users/{id}/queue/{videoId}', '204'],
        ['get', '/templates/{id}', '200'],
        ['get', '/config/{key}', '200'],
        ['put', '/config/{key}', '201'],
        ['get', '/api-docs/{version}', '200'],
        ['get', '/status', '200'],
      ] as const;
      for (const [method, path, success] of routes) {
        const operation = document.paths[path]?.[method];
        expect({ path, method, tags: operation?.tags?.length }).toEqual({ path, method, tags: 1 });
        expect(Object.keys(operation!.responses)).toContain(success);
        if (path !== '/status') expect(Object.keys(operation!.responses)).toContain('400');
        // Every id in a path may be unknown; PUT /config/{key} creates what is missing.
        if (path.includes('{') && method !== 'put')
          expect(Object.keys(operation!.responses)).toContain('404');
        if (['post', 'patch', 'put'].includes(method)) expect(operation!.requestBody).toBeDefined();
      }
      expect(Object.keys(document.paths['/config/{key}']!.put!.responses)).toContain('401');
      expect(Object.keys(document.components.schemas.CreateUserDto!.properties!)).toEqual([
        'name',
        'email',
        'settings',
      ]);
      expect(Object.keys(document.components.schemas.PrivateUserResponse!.properties!)).toContain('email');
      expect(Object.keys(document.components.schemas.UserResponse!.properties!)).not.toContain('email');
    });
  });

  describe('GET /status', () => {
    it('says what this replica runs on; cached for 5 s per replica', async () => {
      const miss = await get(a, '/status');
      const l1 = await get(a, '/status');
      const other = await get(b, '/status');

      expect([cacheStatus(miss), cacheStatus(l1)]).toEqual([MISS, L1]);
      expect(miss.json()).toMatchObject({
        service: 'vidcache',
        version: PACKAGE_VERSION,
        uptime: 'under 1m',
        database,
        cache: { l2: 'up' },
      });
      expect(miss.headers['cache-control']).toBe('no-store');
      // B describes itself: its own entry, not A's from L2.
      expect(cacheStatus(other)).toBe(MISS);
      expect(other.json().replica).not.toBe(miss.json().replica);
      const key = a.app.get(HybridCacheService).keyOf('static', ['status', miss.json().replica]);
      const entry = await decodeEntry((await redis.getBuffer(key))!);
      expect(entry.freshUntil - Date.now()).toBeLessThanOrEqual(5_000);
      expect(entry.freshUntil - Date.now()).toBeGreaterThan(0);
    });
  });
});
