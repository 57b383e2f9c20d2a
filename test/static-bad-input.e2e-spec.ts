import type { TestApp } from './fixtures/app.js';
import { ADMIN, get, putConfig } from './fixtures/http.js';
import { send, type Case } from './fixtures/inject.js';
import { useReplicaPair } from './fixtures/replicas.js';

describe.each(['pglite', 'postgres'] as const)('static content on %s', (database) => {
  let a: TestApp;
  useReplicaPair(database, (pair) => void ({ a } = pair));

  describe('bad input: always a 4xx naming the problem, never a 500', () => {
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
