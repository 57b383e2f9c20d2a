// GET /users/:id/recommendations, end to end over the real AppModule, Redis and each database: the
// ranking on a small hand-made data set (new users and videos, so the seed's events play no part),
// paging, caching, the evictions that keep it right, warm-up and bad input.
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { Response as InjectResponse } from 'light-my-request';
import { UsersService } from '../src/users/users.service.js';
import { WarmupService } from '../src/warmup/warmup.service.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from './fixtures/app.js';
import { L1, MISS } from './fixtures/http.js';
import { send, type Method } from './fixtures/inject.js';

interface Recommended {
  id: string;
  title: string;
  score: number;
}
interface RecommendationPage {
  items: Recommended[];
  page: number;
  perPage: number;
  total: number;
}

describe.each(['pglite', 'postgres'] as const)('recommendations on %s', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ database });
  });
  afterAll(() => t?.close());

  const request = (method: Method, url: string, payload?: unknown, headers?: Record<string, string>) =>
    send(t, method, url, payload, headers);
  const created = async (url: string, payload: unknown): Promise<string> => {
    const res = await request('POST', url, payload);
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  };
  let users = 0;
  const createUser = () => {
    const n = ++users;
    return created('/users', { name: `Reco ${n}`, email: `reco-${n}-${t.prefix}@example.com` });
  };
  const createVideo = (userId: string, title: string) =>
    created('/videos', { userId, title, category: 'education' });
  const record = async (userId: string, videoId: string, type: 'view' | 'like' | 'share', times = 1) => {
    for (let i = 0; i < times; i++) {
      const res = await request('POST', '/events', { type, videoId, userId });
      expect(res.statusCode).toBe(201);
    }
  };
  const recommendations = (userId: string, query = '') =>
    request('GET', `/users/${userId}/recommendations${query}`);
  const ranking = (res: InjectResponse) =>
    res.json<RecommendationPage>().items.map(({ id, score }) => ({ id, score }));

  // The data set: `me` watched A and B. `close` watched both too (similarity 2), `near` only A
  // (similarity 1), `stranger` none of them (not a neighbour). Weights are the seed's: view 1,
  // like 3, share 5.
  let me: string;
  let near: string;
  let close: string;
  let video: Record<'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'mine', string>;

  beforeAll(async () => {
    const [owner, meId, closeId, nearId, stranger] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    [me, close, near] = [meId, closeId, nearId];
    video = { A: '', B: '', C: '', D: '', E: '', F: '', G: '', mine: '' };
    for (const name of ['A', 'B', 'C', 'D', 'E', 'F', 'G'] as const)
      video[name] = await createVideo(owner, name);
    video.mine = await createVideo(me, 'mine');

    await record(me, video.A, 'view');
    await record(me, video.B, 'view');
    await record(close, video.A, 'view');
    await record(close, video.B, 'view');
    await record(close, video.C, 'view'); // C: 2 × (1 + 3)
    await record(close, video.C, 'like');
    await record(close, video.mine, 'view', 3); // my own video: never recommended to me
    await record(near, video.A, 'view');
    await record(near, video.C, 'view'); // C: + 1 × 1 = 9
    await record(near, video.D, 'share'); // D: 1 × 5
    await record(near, video.G, 'view', 4); // G: 1 × 4 × 1 (more events than D, less weight)
    await record(near, video.E, 'view'); // E: 1 × 1
    await record(stranger, video.F, 'share', 3); // F: no neighbour's event, not recommended
  });

  it('ranks the videos I have not watched by similarity × event weight, best first', async () => {
    const res = await recommendations(me);
    expect(res.statusCode).toBe(200);
    expect(ranking(res)).toEqual([
      { id: video.C, score: 9 },
      { id: video.D, score: 5 },
      { id: video.G, score: 4 },
      { id: video.E, score: 1 },
    ]);
    expect(res.json<RecommendationPage>()).toMatchObject({ page: 1, perPage: 20, total: 4 });
    // Each item is the video as lists serve it (no counters, no status), plus its score.
    expect(Object.keys(res.json<RecommendationPage>().items[0]!).sort()).toEqual(
      [
        'category',
        'createdAt',
        'description',
        'durationSec',
        'format',
        'id',
        'score',
        'title',
        'userId',
      ].sort(),
    );
    // …exactly as GET /videos/:id serves it (timestamps included).
    const { score: _score, ...best } = res.json<RecommendationPage>().items[0]!;
    expect(best).toEqual((await request('GET', `/videos/${video.C}`)).json());
    const ids = ranking(res).map(({ id }) => id);
    // Watched (A, B), my own, and videos only a non-neighbour touched (F) are left out.
    for (const excluded of [video.A, video.B, video.mine, video.F]) expect(ids).not.toContain(excluded);
  });

  it('pages with the list convention: page, perPage and the whole total on every page', async () => {
    const pages = await Promise.all([1, 2, 3].map((page) => recommendations(me, `?page=${page}&perPage=2`)));
    expect(pages.map((res) => res.statusCode)).toEqual([200, 200, 200]);
    expect(pages.map((res) => res.json<RecommendationPage>().items.map(({ id }) => id))).toEqual([
      [video.C, video.D],
      [video.G, video.E],
      [],
    ]);
    expect(pages.map((res) => res.json<RecommendationPage>().total)).toEqual([4, 4, 4]);
    expect(pages[1]!.json<RecommendationPage>()).toMatchObject({ page: 2, perPage: 2 });
  });

  it('a user with no events yet gets an empty list, not an error', async () => {
    const res = await recommendations(await createUser());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [], page: 1, perPage: 20, total: 0 });
  });

  it('is cached: the second read is an L1 hit with the same body', async () => {
    const first = await recommendations(near, '?perPage=5');
    const second = await recommendations(near, '?perPage=5');
    expect(first.headers['cache-status']).toBe(MISS);
    expect(second.headers['cache-status']).toBe(L1);
    expect(second.body).toBe(first.body);
  });

  it('my own new event evicts every page of mine: the next read is recomputed', async () => {
    await recommendations(me, '?perPage=2');
    expect((await recommendations(me, '?perPage=2')).headers['cache-status']).toBe(L1);
    expect((await recommendations(me)).headers['cache-status']).toBe(L1);

    await record(me, video.C, 'view');

    const after = await recommendations(me);
    expect(after.headers['cache-status']).toBe(MISS);
    // C is watched now; with C in common, `close` has similarity 3 and `near` 2.
    expect(ranking(after)).toEqual([
      { id: video.D, score: 10 },
      { id: video.G, score: 8 },
      { id: video.E, score: 2 },
    ]);
    expect((await recommendations(me, '?perPage=2')).headers['cache-status']).toBe(MISS);
  });

  it('another user’s event leaves my cached pages alone (they catch up on their TTL)', async () => {
    await recommendations(me);
    await record(near, video.E, 'like');
    expect((await recommendations(me)).headers['cache-status']).toBe(L1);
  });

  it('a change to a recommended video evicts the pages that show it', async () => {
    await recommendations(me);
    const res = await request('PATCH', `/videos/${video.D}`, { title: 'D, renamed' });
    expect(res.statusCode).toBe(200);
    const after = await recommendations(me);
    expect(after.headers['cache-status']).toBe(MISS);
    expect(after.json<RecommendationPage>().items.find(({ id }) => id === video.D)?.title).toBe('D, renamed');
  });

  it('the weights are the recommendations.weights entry: new weights evict every page and rescore', async () => {
    await recommendations(me);
    await recommendations(near);
    const res = await request(
      'PUT',
      '/config/recommendations.weights',
      { value: { view: 2, like: 0, share: 0 } },
      { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    );
    expect(res.statusCode).toBe(200);

    const after = await recommendations(me);
    expect(after.headers['cache-status']).toBe(MISS);
    expect((await recommendations(near)).headers['cache-status']).toBe(MISS);
    // Similarities are still 3 (`close`) and 2 (`near`); only views count now. D was only shared.
    expect(ranking(after)).toEqual([
      { id: video.G, score: 16 },
      { id: video.E, score: 4 },
      { id: video.D, score: 0 },
    ]);
  });

  it('an unusable weight falls back to its default, and the warning is said once', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      const res = await request(
        'PUT',
        '/config/recommendations.weights',
        { value: { view: -1, like: 0, share: 0 } },
        { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      );
      expect(res.statusCode).toBe(200);
      // view -1 is refused: the default 1 counts instead; likes and shares count nothing.
      expect(ranking(await recommendations(me))).toEqual([
        { id: video.G, score: 8 },
        { id: video.E, score: 2 },
        { id: video.D, score: 0 },
      ]);
      await recommendations(me, '?perPage=1'); // a second load with the same entry
      const said = warn.mock.calls.filter(([message]) => String(message).includes('recommendations.weights'));
      expect(said).toHaveLength(1);
      expect(String(said[0]![0])).toContain('view must be a number >= 0');
    } finally {
      warn.mockRestore();
    }
  });

  it('warm-up loads the first page of the most active users', async () => {
    const [mostActive] = await t.app.get(UsersService).mostActive(1);
    expect(mostActive).toBeDefined();
    const report = await t.app.get(WarmupService).run('manual', { force: true });
    expect(report.failedCount).toBe(0);
    expect((await recommendations(mostActive!)).headers['cache-status']).toBe(L1);
  });

  it('404 naming the user for an unknown id', async () => {
    const res = await recommendations('usr_nobody');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ statusCode: 404, message: 'user usr_nobody not found' });
  });

  it.each([
    ['/users/not-a-user/recommendations', 'id must be a user id'],
    ['/users/usr_000001/recommendations?page=0', 'page must not be less than 1'],
    ['/users/usr_000001/recommendations?perPage=101', 'perPage must not be greater than 100'],
    ['/users/usr_000001/recommendations?page=abc', 'page must be an integer'],
    ['/users/usr_000001/recommendations?sort=score', 'property sort should not exist'],
  ])('400 naming the field for %s', async (url, message) => {
    const res = await request('GET', url);
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json<{ message: unknown }>().message)).toContain(message);
  });
});
