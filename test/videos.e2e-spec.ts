import type { TestApp } from './fixtures/app.js';
import { cacheStatus, get, L1, L2, MISS } from './fixtures/http.js';
import { useReplicaPair } from './fixtures/replicas.js';
import {
  create,
  eventually,
  ids,
  missThenHits,
  unique,
  type Video,
  type VideoPage,
} from './fixtures/videos.js';

describe.each(['pglite', 'postgres'] as const)('videos on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  useReplicaPair(database, (pair) => void ({ a, b } = pair));

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
});
