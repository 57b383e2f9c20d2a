import type { LightMyRequestResponse } from 'fastify';
import { HybridCacheService, type CacheKey } from '../src/cache/index.js';
import { createReplicaPair, TEST_ADMIN_TOKEN, type TestApp } from './fixtures/app.js';
import { waitFor } from './fixtures/deferred.js';
import { TRICKY_TEXTS } from './fixtures/texts.js';

// End to end over the real AppModule, Redis and each database: two replicas (A and B) share the
// cache prefix and, on PostgreSQL, the database. On PGlite each replica has its own in-memory copy
// of the same seed, so B is only ever asked for values that A has just put in L2: what B returns
// then comes from the shared cache, which is what these tests are about.

const MISS = 'vidcache; fwd=miss; stored';
const L1 = 'vidcache; hit; detail=l1';
const L2 = 'vidcache; hit; detail=l2';

interface Video {
  id: string;
  userId: string;
  title: string;
  description: string;
  category: string;
  durationSec: number | null;
  format: string | null;
  createdAt: string;
}
interface VideoPage {
  items: Video[];
  page: number;
  perPage: number;
  total: number;
}

const unique = (label: string) => `${label}${Math.random().toString(36).slice(2, 10)}`;
const cacheStatus = (response: LightMyRequestResponse) => response.headers['cache-status'];
const ids = (page: VideoPage) => page.items.map((video) => video.id);

function get(t: TestApp, url: string) {
  return t.app.inject({ method: 'GET', url });
}

async function create(t: TestApp, body: Record<string, unknown>): Promise<Video> {
  const response = await t.app.inject({ method: 'POST', url: '/videos', payload: body });
  expect(response.statusCode).toBe(201);
  return response.json<Video>();
}

/**
 * Reads `url` on a replica until `accept` holds (the other replica's eviction reaches it over the
 * bus within milliseconds, not synchronously), and returns that response.
 */
async function eventually(
  t: TestApp,
  url: string,
  accept: (response: LightMyRequestResponse) => boolean,
): Promise<LightMyRequestResponse> {
  let last: LightMyRequestResponse | undefined;
  await waitFor(async () => accept((last = await get(t, url))), 3_000).catch(() => undefined);
  return last!;
}

/** Whether a replica's L1 holds the key (reading through the API would load it). */
function inL1(t: TestApp, namespace: string, key: CacheKey): boolean {
  const cache = t.app.get(HybridCacheService);
  return cache.inL1(cache.keyOf(namespace, key));
}

/** Reads on A (fresh from the source), then on B (which must take A's value from L2). */
async function missThenHits(a: TestApp, b: TestApp, url: string, status = 200) {
  const first = await get(a, url);
  expect([first.statusCode, cacheStatus(first)]).toEqual([status, MISS]);
  const second = await get(a, url);
  expect([second.statusCode, cacheStatus(second)]).toEqual([status, L1]);
  expect(second.body).toBe(first.body);
  const other = await get(b, url);
  expect([other.statusCode, cacheStatus(other)]).toEqual([status, L2]);
  expect(other.body).toBe(first.body);
  return first;
}

describe.each(['pglite', 'postgres'] as const)('videos on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  let closeReplicas: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ a, b, close: closeReplicas } = await createReplicaPair(database));
  });
  afterAll(() => closeReplicas?.());

  describe('every read is cached: a miss, then an L1 hit, then an L2 hit on the other replica', () => {
    it('GET /videos/:id, without counters or status', async () => {
      const response = await missThenHits(a, b, '/videos/vid_000010');
      expect(Object.keys(response.json()).sort()).toEqual(
        ['category', 'createdAt', 'description', 'durationSec', 'format', 'id', 'title', 'userId'].sort(),
      );
    });

    it('GET /videos/:id of an unknown id: 404, and the "not found" is cached too', async () => {
      const response = await missThenHits(a, b, '/videos/vid_nothing-here', 404);
      expect(response.json()).toMatchObject({ message: 'video vid_nothing-here not found' });
    });

    it('GET /videos/:id/status', async () => {
      const response = await missThenHits(a, b, '/videos/vid_000011/status');
      expect(response.json()).toMatchObject({ id: 'vid_000011', status: expect.any(String) });
      await missThenHits(a, b, '/videos/vid_nothing-here/status', 404);
    });

    it('GET /users/:id/videos, per page', async () => {
      const first = await missThenHits(a, b, '/users/usr_000003/videos?page=2&perPage=3');
      expect(first.json()).toMatchObject({ page: 2, perPage: 3, total: expect.any(Number) });
      expect(first.json<VideoPage>().items).toHaveLength(3);
      expect(cacheStatus(await get(a, '/users/usr_000003/videos?page=1&perPage=3'))).toBe(MISS);
      await missThenHits(a, b, '/users/usr_nobody/videos', 404);
    });

    it('GET /videos/popular, per category and limit', async () => {
      const first = await missThenHits(a, b, '/videos/popular?category=education&limit=7');
      const page = first.json<VideoPage>();
      expect(page).toMatchObject({ page: 1, perPage: 7 });
      expect(page.items.length).toBeGreaterThan(0);
      expect(page.items.every((video) => video.category === 'education')).toBe(true);
      expect(cacheStatus(await get(a, '/videos/popular?category=education&limit=8'))).toBe(MISS);
      await missThenHits(a, b, '/videos/popular?limit=9');
    });

    it('GET /videos/search, per normalized query: case, spacing and composition share one entry', async () => {
      const first = await missThenHits(a, b, '/videos/search?q=Guide&perPage=5');
      expect(first.json<VideoPage>().total).toBeGreaterThan(0);
      const variant = await get(a, `/videos/search?q=${encodeURIComponent('  gUIDE\t ')}&perPage=5`);
      expect([cacheStatus(variant), variant.body]).toEqual([L1, first.body]);
      const composed = await get(a, `/videos/search?q=${encodeURIComponent('cafe\u0301')}`);
      const precomposed = await get(a, `/videos/search?q=${encodeURIComponent('CAFÉ')}`);
      expect([cacheStatus(composed), cacheStatus(precomposed)]).toEqual([MISS, L1]);
      expect(cacheStatus(await get(a, '/videos/search?q=guide&perPage=5&category=education'))).toBe(MISS);
    });
  });

  describe('a write is seen by the next read, on this replica and on the other', () => {
    it('POST /videos: the new video joins its owner’s pages, popular in its category, and search', async () => {
      const category = unique('cat');
      const word = unique('zebra');
      const urls = {
        owner: '/users/usr_000004/videos?perPage=100',
        popular: `/videos/popular?category=${category}`,
        search: `/videos/search?q=${word}`,
      };
      for (const url of Object.values(urls)) {
        await get(a, url);
        expect(cacheStatus(await get(b, url))).toBe(L2);
      }

      const video = await create(a, { userId: 'usr_000004', title: `The ${word} video`, category });

      for (const url of Object.values(urls)) {
        const onA = await get(a, url);
        expect([cacheStatus(onA), ids(onA.json())]).toEqual([MISS, expect.arrayContaining([video.id])]);
        const onB = await eventually(b, url, (r) => ids(r.json()).includes(video.id));
        expect([cacheStatus(onB), onB.body]).toEqual([L2, onA.body]);
      }
      expect(cacheStatus(await get(a, `/videos/${video.id}`))).toBe(L1); // written through
    });

    it('PATCH /videos/:id: the video and every list holding it change, and it moves category', async () => {
      const oldCategory = unique('old');
      const newCategory = unique('new');
      const video = await create(a, {
        userId: 'usr_000005',
        title: 'before',
        category: oldCategory,
        durationSec: 10,
        format: 'mp4',
      });
      const urls = {
        video: `/videos/${video.id}`,
        owner: '/users/usr_000005/videos?perPage=100',
        oldPopular: `/videos/popular?category=${oldCategory}`,
        newPopular: `/videos/popular?category=${newCategory}`,
        search: `/videos/search?q=before&category=${oldCategory}`,
      };
      for (const url of Object.values(urls)) {
        await get(a, url);
        expect(cacheStatus(await get(b, url))).toBe(L2);
      }

      const patched = await a.app.inject({
        method: 'PATCH',
        url: `/videos/${video.id}`,
        payload: { title: 'after', category: newCategory, durationSec: null, format: 'webm' },
      });
      expect(patched.statusCode).toBe(200);
      const expected = { ...video, title: 'after', category: newCategory, durationSec: null, format: 'webm' };
      expect(patched.json()).toEqual(expected);

      const read = async (t: TestApp, url: string): Promise<unknown> => (await get(t, url)).json();
      const page = (body: unknown) => body as VideoPage;
      const checks: [string, (body: unknown) => boolean][] = [
        [urls.video, (body) => (body as Video).title === 'after'],
        [urls.owner, (body) => page(body).items.some((v) => v.id === video.id && v.title === 'after')],
        [urls.oldPopular, (body) => !ids(page(body)).includes(video.id)],
        [urls.newPopular, (body) => ids(page(body)).includes(video.id)],
        [urls.search, (body) => !ids(page(body)).includes(video.id)],
      ];
      for (const [url, accept] of checks) {
        expect(accept(await read(a, url))).toBe(true);
        const onB = await eventually(b, url, (r) => accept(r.json()));
        expect([url, cacheStatus(onB), accept(onB.json())]).toEqual([url, L2, true]);
      }
      expect(await read(a, urls.video)).toEqual(expected);
      // A new title can match searches it did not: cached searches were cleared.
      const search = await get(a, `/videos/search?q=after&category=${newCategory}`);
      expect(ids(search.json())).toEqual([video.id]);
    });

    it('PUT /videos/:id/status: written through, read back on both replicas', async () => {
      const video = await create(a, { userId: 'usr_000006', title: 'rendering', category: 'science' });
      const url = `/videos/${video.id}/status`;
      expect((await get(a, url)).json()).toMatchObject({ status: 'queued', progress: 0 });
      expect(cacheStatus(await get(b, url))).toBe(L2);

      const put = await a.app.inject({ method: 'PUT', url, payload: { status: 'processing', progress: 42 } });
      expect([put.statusCode, put.json()]).toEqual([200, expect.objectContaining({ progress: 42 })]);
      const onA = await get(a, url);
      expect([cacheStatus(onA), onA.json()]).toEqual([L1, put.json()]);
      const onB = await eventually(b, url, (r) => r.json<{ progress: number }>().progress === 42);
      expect([cacheStatus(onB), onB.body]).toEqual([L2, onA.body]);

      const ready = await a.app.inject({ method: 'PUT', url, payload: { status: 'ready' } });
      expect(ready.json()).toMatchObject({ status: 'ready', progress: 42 });
      // The metadata does not carry the status, so it was not evicted.
      expect(cacheStatus(await get(a, `/videos/${video.id}`))).toBe(L1);
    });

    it('DELETE /videos/:id: gone from its owner’s pages, popular, search and analytics, on both replicas', async () => {
      const top = (await get(a, '/videos/popular?category=travel&limit=3')).json<VideoPage>().items[0]!;
      const urls = {
        video: `/videos/${top.id}`,
        status: `/videos/${top.id}/status`,
        owner: `/users/${top.userId}/videos?perPage=100`,
        popular: '/videos/popular?category=travel&limit=3',
        popularAll: '/videos/popular?limit=100',
        search: `/videos/search?q=${encodeURIComponent(top.title)}`,
        analytics: `/analytics/videos/${top.id}`,
        trending: '/analytics/trending?limit=100',
        otherCategory: '/videos/popular?category=music&limit=3',
      };
      for (const [name, url] of Object.entries(urls)) {
        const onA = await get(a, url);
        expect([name, onA.statusCode]).toEqual([name, 200]);
        expect(cacheStatus(await get(b, url))).toBe(L2);
      }
      const listed = (body: VideoPage) => ids(body).includes(top.id);
      expect(listed((await get(a, urls.owner)).json())).toBe(true);
      expect(listed((await get(a, urls.search)).json())).toBe(true);
      const trendingBefore = (await get(a, urls.trending)).json<{ items: { videoId: string }[] }>();

      const deleted = await a.app.inject({ method: 'DELETE', url: `/videos/${top.id}` });
      expect(deleted.statusCode).toBe(204);
      // Lists that did not hold it were not evicted.
      expect(cacheStatus(await get(a, urls.otherCategory))).toBe(L1);

      for (const t of [a, b]) {
        const gone = (url: string) => eventually(t, url, (r) => r.statusCode === 404);
        expect((await gone(urls.video)).statusCode).toBe(404);
        expect((await gone(urls.status)).statusCode).toBe(404);
        expect((await gone(urls.analytics)).statusCode).toBe(404);
        for (const url of [urls.owner, urls.popular, urls.popularAll, urls.search]) {
          const response = await eventually(t, url, (r) => !listed(r.json()));
          expect([url, listed(response.json())]).toEqual([url, false]);
        }
        const trending = await eventually(
          t,
          urls.trending,
          (r) => !r.json<typeof trendingBefore>().items.some((item) => item.videoId === top.id),
        );
        expect(trending.json<typeof trendingBefore>().items.map((item) => item.videoId)).not.toContain(
          top.id,
        );
      }
      const again = await a.app.inject({ method: 'DELETE', url: `/videos/${top.id}` });
      expect(again.statusCode).toBe(404);
    });
  });

  it('every text comes back exactly as sent, from the miss, the L1 hit and the other replica’s L2 hit', async () => {
    for (const text of TRICKY_TEXTS) {
      const fitsTitle = [...text].length >= 1 && [...text].length <= 200;
      const sent = {
        userId: 'usr_000007',
        title: fitsTitle ? text : 'tricky',
        description: text,
        category: 'tricky',
        format: fitsTitle && [...text].length <= 32 ? text : null,
      };
      const created = await create(a, sent);
      expect(created).toMatchObject(sent);
      const url = `/videos/${created.id}`;
      // Written through on create: A's L1 and L2 hold it.
      const reads = [await get(a, url), await get(b, url)];
      // Evicted by a change to another field, then loaded again from the database.
      const patched = await a.app.inject({ method: 'PATCH', url, payload: { durationSec: 1 } });
      expect(patched.statusCode).toBe(200);
      await waitFor(() => !inL1(b, 'video', ['video', created.id]), 3_000);
      reads.push(patched, await get(a, url), await get(a, url), await get(b, url));
      expect(reads.map(cacheStatus)).toEqual([L1, L2, undefined, MISS, L1, L2]);
      for (const read of reads) {
        const body = read.json<Video>();
        const same = body.description === text && body.title === sent.title && body.format === sent.format;
        expect([text.slice(0, 40), same]).toEqual([text.slice(0, 40), true]);
      }
    }
  });

  describe('pattern characters in input are data', () => {
    it('a search for `*`, `?`, `[a]`, `:` or `\\` neither reads nor evicts other searches', async () => {
      const cached = await get(a, '/videos/search?q=tutorial');
      expect(cacheStatus(await get(a, '/videos/search?q=tutorial'))).toBe(L1);
      for (const q of ['*', '?', '[a]', ':', '\\', 'tu*', 'tutorial*', '%', '_']) {
        const response = await get(a, `/videos/search?q=${encodeURIComponent(q)}`);
        expect([q, response.statusCode, cacheStatus(response)]).toEqual([q, 200, MISS]);
        const page = response.json<VideoPage>();
        for (const video of page.items) {
          expect(`${video.title} ${video.description}`.toLowerCase()).toContain(q);
        }
        const again = await get(a, '/videos/search?q=tutorial');
        expect([cacheStatus(again), again.body]).toEqual([L1, cached.body]);
      }
    });

    it('a category named `*` (or like the "all categories" marker) is a literal category', async () => {
      const music = await get(a, '/videos/popular?category=music');
      expect(cacheStatus(music)).toBe(MISS);
      const star = await create(a, { userId: 'usr_000008', title: 'star', category: '*' });
      const marker = await create(a, { userId: 'usr_000008', title: 'marker', category: 'all-categories' });

      const starList = await get(a, '/videos/popular?category=*');
      expect(ids(starList.json())).toEqual([star.id]);
      expect(ids((await get(a, '/videos/popular?category=all-categories')).json())).toEqual([marker.id]);
      expect(ids((await get(a, `/videos/popular?category=${encodeURIComponent('m*')}`)).json())).toEqual([]);
      // Creating in `*` evicted popular lists of `*` and of all categories, not those of `music`.
      const musicAgain = await get(a, '/videos/popular?category=music');
      expect([cacheStatus(musicAgain), musicAgain.body]).toEqual([L1, music.body]);
      const search = await get(a, '/videos/search?q=star&category=*');
      expect(ids(search.json())).toEqual([star.id]);
    });
  });
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
  it('warm-up loads popular videos of every category and the most active users’ first page', async () => {
    const warmed = await a.app.inject({
      method: 'POST',
      url: '/admin/cache/warmup',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(warmed.statusCode).toBe(200);
    const report = warmed.json<{ failed: { task: string }[]; items: number }>();
    const ours = ['popular-videos', 'active-users-videos', 'trending-analytics'];
    expect(report.failed.filter((failure) => ours.includes(failure.task))).toEqual([]);
    for (const category of [
      'music',
      'gaming',
      'education',
      'news',
      'sports',
      'cooking',
      'travel',
      'science',
    ]) {
      expect([category, cacheStatus(await get(a, `/videos/popular?category=${category}`))]).toEqual([
        category,
        L1,
      ]);
    }
    expect(cacheStatus(await get(a, '/videos/popular'))).toBe(L1);
    expect(cacheStatus(await get(a, '/analytics/trending'))).toBe(L1);
    // Every seeded user was active this week: each one's first page is warm.
    for (let n = 1; n <= 10; n++) {
      const url = `/users/usr_${String(n).padStart(6, '0')}/videos`;
      expect([url, cacheStatus(await get(a, url))]).toEqual([url, L1]);
    }
  });
});
