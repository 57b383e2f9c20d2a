import { readFileSync } from 'node:fs';
import type { Response as InjectResponse } from 'light-my-request';
import { decodeEntry } from '../src/cache/cache-codec.js';
import { HybridCacheService } from '../src/cache/index.js';
import type { JsonValue } from '../src/database/index.js';
import { createReplicaPair, TEST_ADMIN_TOKEN, type TestApp } from './fixtures/app.js';
import { send, type Method } from './fixtures/inject.js';
import { waitFor } from './fixtures/deferred.js';
import { rawClient } from './fixtures/redis.js';
import { TRICKY_JSON } from './fixtures/texts.js';

const MISS = 'vidcache; fwd=miss; stored';
const L1 = 'vidcache; hit; detail=l1';
const L2 = 'vidcache; hit; detail=l2';
const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const get = (t: TestApp, url: string, headers: Record<string, string> = {}) =>
  send(t, 'GET', url, undefined, headers);
const putConfig = (t: TestApp, key: string, value: unknown) =>
  send(t, 'PUT', `/config/${key}`, { value }, ADMIN);
const cacheStatus = (res: InjectResponse) => res.headers['cache-status'];
const exactly = (value: unknown) => JSON.stringify(value);

const redis = rawClient();
afterAll(() => redis.quit());

describe.each(['pglite', 'postgres'] as const)('static content on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  let closeReplicas: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ a, b, close: closeReplicas } = await createReplicaPair(database));
  });
  afterAll(() => closeReplicas?.());

  const evictedFromB = (namespace: string, key: readonly string[]) => {
    const cache = b.app.get(HybridCacheService);
    const full = cache.keyOf(namespace, key);
    return waitFor(() => !cache.inL1(full), 2_000);
  };

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

  describe('GET and PUT /config/:key', () => {
    it('GET: a miss, an L1 hit, another replica’s L2 hit', async () => {
      const miss = await get(a, '/config/player.qualities');
      const l1 = await get(a, '/config/player.qualities');
      const l2 = await get(b, '/config/player.qualities');

      expect([cacheStatus(miss), cacheStatus(l1), cacheStatus(l2)]).toEqual([MISS, L1, L2]);
      expect(miss.json()).toMatchObject({
        key: 'player.qualities',
        value: ['360p', '480p', '720p', '1080p', '2160p'],
      });
      expect(l2.body).toBe(miss.body);
    });

    it('an unknown key is a 404, cached briefly', async () => {
      const first = await get(a, '/config/no.such.key');
      expect(first.statusCode).toBe(404);
      expect(first.json().message).toBe('configuration key no.such.key not found');
      expect(cacheStatus(await get(a, '/config/no.such.key'))).toBe(L1);
    });

    it('PUT creates (201) then replaces (200), and evicts the entry on every replica', async () => {
      expect((await get(a, '/config/feature.flag')).statusCode).toBe(404);
      expect((await get(b, '/config/feature.flag')).statusCode).toBe(404);

      const created = await putConfig(a, 'feature.flag', true);

      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ key: 'feature.flag', value: true });
      const fromA = await get(a, '/config/feature.flag');
      expect([fromA.statusCode, cacheStatus(fromA)]).toEqual([200, MISS]);
      await evictedFromB('static', ['config', 'feature.flag']);
      const fromB = await get(b, '/config/feature.flag');
      expect([fromB.statusCode, cacheStatus(fromB), fromB.json().value]).toEqual([200, L2, true]);

      const replaced = await putConfig(a, 'feature.flag', { rollout: 0.5 });

      expect(replaced.statusCode).toBe(200);
      expect((await get(a, '/config/feature.flag')).json().value).toEqual({ rollout: 0.5 });
      await evictedFromB('static', ['config', 'feature.flag']);
      expect((await get(b, '/config/feature.flag')).json().value).toEqual({ rollout: 0.5 });
    });

    it('PUT on a seeded key, read on the other replica first (shared database) or through L2', async () => {
      await get(b, '/config/upload.maxSizeMb');
      const res = await putConfig(a, 'upload.maxSizeMb', 8192);
      expect(res.statusCode).toBe(200);
      await evictedFromB('static', ['config', 'upload.maxSizeMb']);
      if (database === 'postgres') {
        const fromB = await get(b, '/config/upload.maxSizeMb');
        expect([cacheStatus(fromB), fromB.json().value]).toEqual([MISS, 8192]);
      } else {
        await get(a, '/config/upload.maxSizeMb');
        const fromB = await get(b, '/config/upload.maxSizeMb');
        expect([cacheStatus(fromB), fromB.json().value]).toEqual([L2, 8192]);
      }
    });

    it('PUT is for operators only: 401 without or with a wrong token, and nothing changes', async () => {
      await get(a, '/config/site.name');
      const anonymous = await send(a, 'PUT', '/config/site.name', { value: 'hacked' });
      const wrong = await send(
        a,
        'PUT',
        '/config/site.name',
        { value: 'hacked' },
        { authorization: 'Bearer nope' },
      );

      expect(anonymous.statusCode).toBe(401);
      expect(wrong.statusCode).toBe(401);
      const read = await get(a, '/config/site.name');
      expect([cacheStatus(read), read.json().value]).toEqual([L1, 'vidcache']);
    });

    describe('values round-trip exactly from every tier', () => {
      const accepted = TRICKY_JSON.filter((value) => !exactly(value).includes('__proto__'));

      it.each(accepted.map((value, i) => [exactly(value).slice(0, 40), i, value] as const))(
        '%s',
        async (_label, i, value: JsonValue) => {
          const key = `tricky.${i}`;
          const put = await putConfig(a, key, value);
          expect(exactly(put.json().value)).toBe(exactly(value));

          const miss = await get(a, `/config/${key}`);
          const l1 = await get(a, `/config/${key}`);
          const l2 = await get(b, `/config/${key}`);

          expect([cacheStatus(miss), cacheStatus(l1), cacheStatus(l2)]).toEqual([MISS, L1, L2]);
          for (const res of [miss, l1, l2]) expect(exactly(res.json().value)).toBe(exactly(value));
        },
      );

      it('a document with __proto__ or constructor keys is refused (400), never stored changed', async () => {
        const proto = await send(
          a,
          'PUT',
          '/config/tricky.proto',
          '{"value":{"__proto__":"own key","constructor":"also own"}}',
          ADMIN,
        );
        const ctor = await send(
          a,
          'PUT',
          '/config/tricky.proto',
          '{"value":{"constructor":"also own"}}',
          ADMIN,
        );

        expect(proto.statusCode).toBe(400);
        expect(ctor.statusCode).toBe(400);
        expect(ctor.json().message).toContain('value must not contain keys named');
        expect((await get(a, '/config/tricky.proto')).statusCode).toBe(404);
      });
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

  describe('bad input: always a 4xx naming the problem, never a 500', () => {
    interface Case {
      name: string;
      method: Method;
      url: string;
      body?: unknown;
      headers?: Record<string, string>;
      status: number;
      message?: string;
    }
    const enc = encodeURIComponent;
    const badTemplateIds: [string, number, string?][] = [
      ['tpl_*', 400, 'id must be a template id'],
      ['tpl_?', 400, 'id must be a template id'],
      ['tpl_[a]', 400, 'id must be a template id'],
      ['tpl_:x', 400, 'id must be a template id'],
      ['tpl_\\', 400, 'id must be a template id'],
      ['\u0000', 400, 'id must be a template id'],
      ['../', 400, 'id must be a template id'],
      ['usr_000001', 400, 'id must be a template id'],
      [`tpl_${'a'.repeat(65)}`, 400, 'id must be a template id'],
      [`tpl_${'a'.repeat(300)}`, 414],
    ];
    const badKeys: [string, number, string?][] = [
      ['a*b', 400, 'key must be 1-128'],
      ['a?b', 400, 'key must be 1-128'],
      ['a[b]', 400, 'key must be 1-128'],
      ['a:b', 400, 'key must be 1-128'],
      ['a\\b', 400, 'key must be 1-128'],
      ['a b', 400, 'key must be 1-128'],
      ['\u0000', 400, 'key must be 1-128'],
      ['../', 400, 'key must be 1-128'],
      ['ключ', 400, 'key must be 1-128'],
      ['k'.repeat(129), 414],
    ];
    const value = { value: 1 };
    const cases: Case[] = [
      ...badTemplateIds.map(([id, status, message]): Case => ({
        name: `GET /templates/${id}`,
        method: 'GET',
        url: `/templates/${enc(id)}`,
        status,
        message,
      })),
      ...badKeys.flatMap(([key, status, message]): Case[] => [
        { name: `GET /config/${key}`, method: 'GET', url: `/config/${enc(key)}`, status, message },
        {
          name: `PUT /config/${key}`,
          method: 'PUT',
          url: `/config/${enc(key)}`,
          body: value,
          headers: ADMIN,
          status,
          message,
        },
      ]),
      { name: 'GET /templates/ (empty)', method: 'GET', url: '/templates/', status: 404 },
      { name: 'GET /config/ (empty)', method: 'GET', url: '/config/', status: 404 },
      {
        name: 'PUT /config/k: no token',
        method: 'PUT',
        url: '/config/k',
        body: value,
        status: 401,
        message: 'bearer token',
      },
      {
        name: 'PUT /config/k: value missing',
        method: 'PUT',
        url: '/config/k',
        body: {},
        headers: ADMIN,
        status: 400,
        message: 'value must be',
      },
      {
        name: 'PUT /config/k: extra field',
        method: 'PUT',
        url: '/config/k',
        body: { value: 1, ttl: 5 },
        headers: ADMIN,
        status: 400,
        message: 'property ttl should not exist',
      },
      {
        name: 'PUT /config/k: value over 256 KiB',
        method: 'PUT',
        url: '/config/k',
        body: { value: 'v'.repeat(300_000) },
        headers: ADMIN,
        status: 400,
        message: 'value must be any JSON value of at most',
      },
      {
        name: 'PUT /config/k: value nested 10,000 deep',
        method: 'PUT',
        url: '/config/k',
        body: `{"value":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
        headers: ADMIN,
        status: 400,
        message: 'value must not nest',
      },
      {
        name: 'PUT /config/k: JSON array',
        method: 'PUT',
        url: '/config/k',
        body: '[1]',
        headers: ADMIN,
        status: 400,
        message: 'body must be',
      },
      {
        name: 'PUT /config/k: JSON number',
        method: 'PUT',
        url: '/config/k',
        body: '1',
        headers: ADMIN,
        status: 400,
        message: 'body must be',
      },
      {
        name: 'PUT /config/k: not JSON',
        method: 'PUT',
        url: '/config/k',
        body: '{value: 1}',
        headers: ADMIN,
        status: 400,
      },
      {
        name: 'PUT /config/k: no body',
        method: 'PUT',
        url: '/config/k',
        headers: ADMIN,
        status: 400,
        message: 'body must be',
      },
      {
        name: 'PUT /config/k: an unknown media type',
        method: 'PUT',
        url: '/config/k',
        body: '<v/>',
        headers: { ...ADMIN, 'content-type': 'application/xml' },
        status: 415,
      },
      {
        name: 'PUT /config/k: over BODY_LIMIT',
        method: 'PUT',
        url: '/config/k',
        body: { value: 'v'.repeat(1_100_000) },
        headers: ADMIN,
        status: 413,
      },
      ...['v', '1', 'v1.0', 'v*', 'V1', 'v12345', 'latest', '%00'].map((version): Case => ({
        name: `GET /api-docs/${version}`,
        method: 'GET',
        url: `/api-docs/${version}`,
        status: 400,
        message: 'version must be v followed by 1-4 digits',
      })),
      {
        name: 'GET /api-docs/<300 characters>',
        method: 'GET',
        url: `/api-docs/v${'1'.repeat(300)}`,
        status: 414,
      },
      { name: 'GET /status?page=-1 (ignored)', method: 'GET', url: '/status?page=-1', status: 200 },
      {
        name: 'GET /templates/:id?x=%00 (ignored)',
        method: 'GET',
        url: '/templates/tpl_000001?x=%00',
        status: 200,
      },
    ];

    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const res = await send(a, c.method, c.url, c.body, c.headers);

      expect(res.statusCode).toBe(c.status);
      if (c.message !== undefined) expect(JSON.stringify(res.json().message)).toContain(c.message);
    });

    it('keeps serving afterwards', async () => {
      expect((await get(a, '/templates/tpl_000001')).statusCode).toBe(200);
      expect((await get(a, '/config/site.name')).statusCode).toBe(200);
      expect((await putConfig(a, 'after.table', 'ok')).statusCode).toBe(201);
      expect((await get(a, '/status')).statusCode).toBe(200);
    });
  });
});
