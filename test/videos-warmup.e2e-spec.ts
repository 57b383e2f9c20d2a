import { TEST_ADMIN_TOKEN, type TestApp } from './fixtures/app.js';
import { cacheStatus, get, L1 } from './fixtures/http.js';
import { useReplicaPair } from './fixtures/replicas.js';

describe.each(['pglite', 'postgres'] as const)('videos on %s', (database) => {
  let a: TestApp;
  useReplicaPair(database, (pair) => void ({ a } = pair));

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
