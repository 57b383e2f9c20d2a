import type { TestApp } from './fixtures/app.js';
import { waitFor } from './fixtures/deferred.js';
import { cacheStatus, get, L1, L2, MISS } from './fixtures/http.js';
import { useReplicaPair } from './fixtures/replicas.js';
import { TRICKY_TEXTS } from './fixtures/texts.js';
import { create, ids, inL1, type Video, type VideoPage } from './fixtures/videos.js';

describe.each(['pglite', 'postgres'] as const)('videos on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  useReplicaPair(database, (pair) => void ({ a, b } = pair));

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
});
