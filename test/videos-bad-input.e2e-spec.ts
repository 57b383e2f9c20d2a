import type { TestApp } from './fixtures/app.js';
import { get } from './fixtures/http.js';
import { useReplicaPair } from './fixtures/replicas.js';
import { create, type VideoPage } from './fixtures/videos.js';

describe.each(['pglite', 'postgres'] as const)('videos on %s', (database) => {
  let a: TestApp;
  useReplicaPair(database, (pair) => void ({ a } = pair));

  describe('bad input: a 4xx naming the field, never a 500, and the service keeps serving', () => {
    interface BadRequest {
      name: string;
      method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
      url: string;
      /** Sent as is (a string), so that bodies can be malformed. */
      payload?: string;
      contentType?: string;
      status: number;
      /** The message must name it. */
      field?: string;
    }

    const json = (value: unknown) => JSON.stringify(value);
    const VIDEO_ROUTES = [
      { method: 'GET', path: (id: string) => `/videos/${id}` },
      { method: 'PATCH', path: (id: string) => `/videos/${id}`, payload: json({ title: 'x' }) },
      { method: 'DELETE', path: (id: string) => `/videos/${id}` },
      { method: 'GET', path: (id: string) => `/videos/${id}/status` },
      { method: 'PUT', path: (id: string) => `/videos/${id}/status`, payload: json({ status: 'ready' }) },
    ] as const;
    /** [what, as it appears in the path (URL-encoded)] */
    const MALFORMED_IDS = (prefix: string): [string, string][] => [
      [`${prefix}_*`, `${prefix}_*`],
      [`${prefix}_?`, `${prefix}_%3F`],
      [`${prefix}_[a]`, `${prefix}_%5Ba%5D`],
      [`${prefix}_:x`, `${prefix}_%3Ax`],
      [`${prefix}_\\`, `${prefix}_%5C`],
      [`${prefix}_%`, `${prefix}_%25`],
      [`${prefix}_ space`, `${prefix}_%20space`],
      ['%00', '%00'],
      [`${prefix}_ + 65 characters`, `${prefix}_${'a'.repeat(65)}`],
      ['another kind of id', prefix === 'vid' ? 'usr_000001' : 'vid_000001'],
      ['no prefix', '000001'],
    ];

    const idCases = (): BadRequest[] => [
      ...VIDEO_ROUTES.flatMap((route) => [
        ...MALFORMED_IDS('vid').map(([what, id]) => ({
          name: `${route.method} ${route.path(what)}`,
          method: route.method,
          url: route.path(id),
          payload: 'payload' in route ? route.payload : undefined,
          status: 400,
          field: 'id',
        })),
        {
          name: `${route.method} very long id`,
          method: route.method,
          url: route.path('v'.repeat(5_000)),
          status: 414,
        },
        { name: `${route.method} empty id`, method: route.method, url: route.path(''), status: 404 },
      ]),
      ...MALFORMED_IDS('usr').map(([what, id]) => ({
        name: `GET /users/${what}/videos`,
        method: 'GET' as const,
        url: `/users/${id}/videos`,
        status: 400,
        field: 'id',
      })),
    ];

    const valid = { userId: 'usr_000009', title: 'valid', category: 'valid' };
    const bodyCases = (route: 'POST /videos' | 'PATCH /videos/:id'): BadRequest[] => {
      const [method, url] = route === 'POST /videos' ? ['POST', '/videos'] : ['PATCH', '/videos/vid_000002'];
      const base = route === 'POST /videos' ? valid : {};
      const cases: [string, unknown, string | undefined][] = [
        ['title of the wrong type', { ...base, title: 42 }, 'title'],
        ['title null', { ...base, title: null }, 'title'],
        ['title empty', { ...base, title: '' }, 'title'],
        ['title too long', { ...base, title: 't'.repeat(201) }, 'title'],
        ['title with NUL', { ...base, title: 'a\u0000b' }, 'title'],
        ['title with a lone surrogate', { ...base, title: 'a\uD800b' }, 'title'],
        ['description with a lone low surrogate', { ...base, description: '\uDC00' }, 'description'],
        ['description null', { ...base, description: null }, 'description'],
        ['category empty', { ...base, category: '' }, 'category'],
        ['category of 65 characters', { ...base, category: 'é'.repeat(65) }, 'category'],
        ['category of 33 emoji with variation selectors', { ...base, category: '❤️'.repeat(33) }, 'category'],
        ['category as an array', { ...base, category: ['a'] }, 'category'],
        ['durationSec negative', { ...base, durationSec: -1 }, 'durationSec'],
        ['durationSec fractional', { ...base, durationSec: 1.5 }, 'durationSec'],
        ['durationSec as a string', { ...base, durationSec: '12' }, 'durationSec'],
        ['durationSec over 2^31-1', { ...base, durationSec: 2 ** 31 }, 'durationSec'],
        ['format too long', { ...base, format: 'f'.repeat(33) }, 'format'],
        ['format of the wrong type', { ...base, format: { mp4: true } }, 'format'],
        ['an extra field', { ...base, views: 1_000_000 }, 'views'],
        ['status smuggled in', { ...base, status: 'ready' }, 'status'],
      ];
      if (route === 'POST /videos') {
        cases.push(
          ['userId missing', { title: 'a', category: 'b' }, 'userId'],
          ['userId with a pattern character', { ...valid, userId: 'usr_*' }, 'userId'],
          ['title missing', { userId: 'usr_000009', category: 'b' }, 'title'],
          ['category missing', { userId: 'usr_000009', title: 'a' }, 'category'],
        );
      }
      return [
        ...cases.map(([name, body, field]) => ({
          name: `${route}: ${name}`,
          method: method as BadRequest['method'],
          url,
          payload: json(body),
          status: 400,
          field,
        })),
        {
          name: `${route}: not JSON`,
          method: method as BadRequest['method'],
          url,
          payload: '{"title": ',
          status: 400,
        },
        {
          name: `${route}: an array`,
          method: method as BadRequest['method'],
          url,
          payload: '[1,2]',
          status: 400,
        },
        {
          name: `${route}: a string`,
          method: method as BadRequest['method'],
          url,
          payload: '"title"',
          status: 400,
        },
        {
          name: `${route}: text/plain`,
          method: method as BadRequest['method'],
          url,
          payload: 'title=x',
          contentType: 'text/plain',
          status: 415,
        },
        {
          name: `${route}: over BODY_LIMIT`,
          method: method as BadRequest['method'],
          url,
          payload: json({ ...base, description: 'd'.repeat(1_100_000) }),
          status: 413,
        },
      ];
    };

    const statusCases = (): BadRequest[] =>
      (
        [
          ['status unknown', { status: 'done' }, 'status'],
          ['status missing', { progress: 5 }, 'status'],
          ['progress over 100', { status: 'ready', progress: 101 }, 'progress'],
          ['progress negative', { status: 'ready', progress: -1 }, 'progress'],
          ['progress as a string', { status: 'ready', progress: '50' }, 'progress'],
          ['progress fractional', { status: 'ready', progress: 1.5 }, 'progress'],
          ['an extra field', { status: 'ready', eta: 5 }, 'eta'],
          ['an array', [{ status: 'ready' }], undefined],
        ] as const
      ).map(([name, body, field]) => ({
        name: `PUT /videos/:id/status: ${name}`,
        method: 'PUT',
        url: '/videos/vid_000002/status',
        payload: json(body),
        status: 400,
        field,
      }));

    const queryCases = (): BadRequest[] => {
      const long = (n: number) => 'q'.repeat(n);
      const cases: [string, string][] = [
        ['/videos/popular?limit=0', 'limit'],
        ['/videos/popular?limit=101', 'limit'],
        ['/videos/popular?limit=abc', 'limit'],
        ['/videos/popular?limit=-1', 'limit'],
        ['/videos/popular?limit=1.5', 'limit'],
        ['/videos/popular?limit=', 'limit'],
        ['/videos/popular?limit=1&limit=2', 'limit'],
        ['/videos/popular?category=', 'category'],
        [`/videos/popular?category=${'c'.repeat(65)}`, 'category'],
        ['/videos/popular?category=a%00b', 'category'],
        ['/videos/popular?category=a&category=b', 'category'],
        ['/videos/popular?sort=views', 'sort'],
        ['/videos/search', 'q'],
        ['/videos/search?q=', 'q'],
        ['/videos/search?q=%20%20%09', 'q'],
        [`/videos/search?q=${long(201)}`, 'q'],
        ['/videos/search?q=a%00', 'q'],
        ['/videos/search?q=a&page=0', 'page'],
        ['/videos/search?q=a&page=-1', 'page'],
        ['/videos/search?q=a&page=abc', 'page'],
        ['/videos/search?q=a&page=10001', 'page'],
        ['/videos/search?q=a&perPage=0', 'perPage'],
        ['/videos/search?q=a&perPage=101', 'perPage'],
        ['/videos/search?q=a&category=', 'category'],
        ['/users/usr_000001/videos?page=-1', 'page'],
        ['/users/usr_000001/videos?page=0', 'page'],
        ['/users/usr_000001/videos?perPage=0', 'perPage'],
        ['/users/usr_000001/videos?perPage=101', 'perPage'],
        ['/users/usr_000001/videos?perPage=abc', 'perPage'],
      ];
      return cases.map(([url, field]) => ({
        name: `GET ${url.slice(0, 80)}`,
        method: 'GET',
        url,
        status: 400,
        field,
      }));
    };

    async function expectRejected(cases: BadRequest[]) {
      for (const bad of cases) {
        const response = await a.app.inject({
          method: bad.method,
          url: bad.url,
          payload: bad.payload,
          headers: bad.payload === undefined ? {} : { 'content-type': bad.contentType ?? 'application/json' },
        });
        expect([bad.name, response.statusCode]).toEqual([bad.name, bad.status]);
        if (bad.field !== undefined) {
          const { message } = response.json<{ message: string | string[] }>();
          const text = Array.isArray(message) ? message.join('; ') : message;
          expect([bad.name, text]).toEqual([bad.name, expect.stringContaining(bad.field)]);
        }
      }
    }

    const ownVideos = async (perPage: number) =>
      (await get(a, `/users/usr_000009/videos?perPage=${perPage}`)).json<VideoPage>().total;

    it('malformed ids in every path: 400 naming `id` (414 when too long for a URL, 404 when empty)', async () => {
      await expectRejected(idCases());
    });

    it('malformed bodies of POST /videos and PATCH /videos/:id change nothing', async () => {
      const before = await ownVideos(99);
      const video = (await get(a, '/videos/vid_000002')).body;
      await expectRejected([...bodyCases('POST /videos'), ...bodyCases('PATCH /videos/:id')]);
      expect(await ownVideos(98)).toBe(before);
      const unknownOwner = await a.app.inject({
        method: 'POST',
        url: '/videos',
        payload: { ...valid, userId: 'usr_nobody' },
      });
      expect([unknownOwner.statusCode, unknownOwner.json().message]).toEqual([
        404,
        'userId: user usr_nobody does not exist',
      ]);
      const unknownVideo = await a.app.inject({ method: 'PATCH', url: '/videos/vid_nobody', payload: {} });
      expect(unknownVideo.statusCode).toBe(404);
      expect((await get(a, '/videos/vid_000002')).body).toBe(video);
    });

    it('malformed bodies of PUT /videos/:id/status', async () => {
      await expectRejected(statusCases());
      const unknown = await a.app.inject({
        method: 'PUT',
        url: '/videos/vid_nobody/status',
        payload: { status: 'ready' },
      });
      expect(unknown.statusCode).toBe(404);
    });

    it('bad query strings', async () => {
      await expectRejected(queryCases());
      // Bytes that are not UTF-8 are not an error: they decode to U+FFFD and find nothing.
      const notUtf8 = await get(a, '/videos/search?q=%ED%A0%80%FF');
      expect(notUtf8.statusCode).toBe(200);
    });

    it('the service keeps serving afterwards', async () => {
      expect((await get(a, '/videos/vid_000001')).statusCode).toBe(200);
      expect((await get(a, '/videos/popular')).statusCode).toBe(200);
      expect((await get(a, '/videos/search?q=a')).statusCode).toBe(200);
      await create(a, valid);
    });
  });
});
