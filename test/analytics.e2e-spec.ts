import type { LightMyRequestResponse } from 'fastify';
import { HybridCacheService } from '../src/cache/index.js';
import type { TestApp } from './fixtures/app.js';
import { waitFor } from './fixtures/deferred.js';
import { L1, L2, MISS } from './fixtures/http.js';
import { useReplicaPair } from './fixtures/replicas.js';

// Analytics and POST /events, end to end over the real AppModule, Redis and each database, on two
// replicas (A and B) sharing the cache prefix and, on PostgreSQL, the database. On PGlite each
// replica has its own copy of the seed, so B is only asked for what A has just put in L2.

interface Counts {
  views: number;
  likes: number;
  shares: number;
}
interface VideoStats {
  videoId: string;
  totals: Counts;
  uniqueViewers: number;
  last30Days: (Counts & { day: string })[];
}
interface UserStats extends Counts {
  userId: string;
  range: string;
  distinctVideos: number;
  topCategories: { category: string; events: number }[];
}

const cacheStatus = (response: LightMyRequestResponse) => response.headers['cache-status'];
const unique = (label: string) => `${label}${Math.random().toString(36).slice(2, 10)}`;

function get(t: TestApp, url: string) {
  return t.app.inject({ method: 'GET', url });
}

async function post(t: TestApp, url: string, payload: Record<string, unknown>) {
  const response = await t.app.inject({ method: 'POST', url, payload });
  expect([url, response.statusCode]).toEqual([url, 201]);
  return response.json<{ id: string }>();
}

/** Reads `url` on a replica until `accept` holds (evictions reach the other replica over the bus). */
async function eventually(
  t: TestApp,
  url: string,
  accept: (response: LightMyRequestResponse) => boolean,
): Promise<LightMyRequestResponse> {
  let last: LightMyRequestResponse | undefined;
  await waitFor(async () => accept((last = await get(t, url))), 3_000).catch(() => undefined);
  return last!;
}

async function missThenHits(a: TestApp, b: TestApp, url: string, status = 200) {
  const first = await get(a, url);
  expect([url, first.statusCode, cacheStatus(first)]).toEqual([url, status, MISS]);
  const second = await get(a, url);
  expect([url, cacheStatus(second)]).toEqual([url, L1]);
  const other = await get(b, url);
  expect([url, cacheStatus(other), other.body]).toEqual([url, L2, first.body]);
  return first;
}

/** A deterministic generator (mulberry32), so every run replays the same reads. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A skewed pick: the item of rank r has weight 1/r (Zipf), as real traffic favours a few items. */
function skewedPick<T>(random: () => number, items: readonly T[]): T {
  const weights = items.map((_, rank) => 1 / (rank + 1));
  let target = random() * weights.reduce((sum, w) => sum + w, 0);
  for (let i = 0; i < items.length; i++) {
    target -= weights[i]!;
    if (target <= 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

describe.each(['pglite', 'postgres'] as const)('analytics and events on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  useReplicaPair(database, (pair) => void ({ a, b } = pair));

  describe('every read is cached: a miss, then an L1 hit, then an L2 hit on the other replica', () => {
    it('GET /analytics/users/:id, per range', async () => {
      const stats = (await missThenHits(a, b, '/analytics/users/usr_000002?range=30d')).json<UserStats>();
      expect(stats).toMatchObject({ userId: 'usr_000002', range: '30d' });
      expect(stats.views + stats.likes + stats.shares).toBeGreaterThan(0);
      await missThenHits(a, b, '/analytics/users/usr_000002');
      expect(cacheStatus(await get(a, '/analytics/users/usr_000002?range=7d'))).toBe(L1); // the default
      await missThenHits(a, b, '/analytics/users/usr_nobody?range=30d', 404);
    });

    it('GET /analytics/videos/:id', async () => {
      const stats = (await missThenHits(a, b, '/analytics/videos/vid_000020')).json<VideoStats>();
      expect(stats.last30Days).toHaveLength(30);
      await missThenHits(a, b, '/analytics/videos/vid_nobody', 404);
    });

    it('GET /analytics/platform/:metric, per metric and range', async () => {
      const series = (await missThenHits(a, b, '/analytics/platform/views?range=24h')).json<{
        bucket: string;
        points: unknown[];
      }>();
      expect(series.bucket).toBe('hour');
      expect(series.points.length).toBeGreaterThanOrEqual(24);
      await missThenHits(a, b, '/analytics/platform/active-users?range=90d');
    });

    it('GET /analytics/trending, per limit', async () => {
      const page = (await missThenHits(a, b, '/analytics/trending?limit=5')).json<{ items: unknown[] }>();
      expect(page).toMatchObject({ page: 1, perPage: 5, total: 5 });
      expect(cacheStatus(await get(a, '/analytics/trending?limit=6'))).toBe(MISS);
    });

    it('GET /analytics/summary, per range', async () => {
      const summary = (await missThenHits(a, b, '/analytics/summary?range=90d')).json<{ events: number }>();
      expect(summary.events).toBeGreaterThan(0);
    });
  });

  describe('POST /events', () => {
    it('evicts the analytics of that video and that user on both replicas, and nothing else', async () => {
      const video = 'vid_000030';
      const user = 'usr_000004';
      const evicted = {
        video: `/analytics/videos/${video}`,
        user24h: `/analytics/users/${user}?range=24h`,
        user90d: `/analytics/users/${user}?range=90d`,
      };
      const kept = {
        otherVideo: '/analytics/videos/vid_000031',
        otherUser: '/analytics/users/usr_000005?range=24h',
        trending: '/analytics/trending?limit=20',
        summary: '/analytics/summary?range=24h',
        platform: '/analytics/platform/likes?range=24h',
        popular: '/videos/popular?limit=20',
        metadata: `/videos/${video}`,
      };
      const before: Record<string, LightMyRequestResponse> = {};
      for (const [name, url] of Object.entries({ ...evicted, ...kept })) {
        before[name] = await get(a, url);
        expect([name, cacheStatus(await get(b, url))]).toEqual([name, L2]);
      }

      const event = await post(a, '/events', { type: 'like', videoId: video, userId: user });
      expect(event).toMatchObject({ id: expect.any(Number), type: 'like', videoId: video, userId: user });

      const likes = (response: LightMyRequestResponse) =>
        'totals' in response.json()
          ? response.json<VideoStats>().totals.likes
          : response.json<UserStats>().likes;
      for (const [name, url] of Object.entries(evicted)) {
        const expected = likes(before[name]!) + 1;
        const onA = await get(a, url);
        expect([name, cacheStatus(onA), likes(onA)]).toEqual([name, MISS, expected]);
        const onB = await eventually(b, url, (r) => likes(r) === expected);
        expect([name, cacheStatus(onB), onB.body]).toEqual([name, L2, onA.body]);
      }
      // Platform aggregates are left to their TTL (documented): an event must not evict them.
      for (const [name, url] of Object.entries(kept)) {
        expect([name, cacheStatus(await get(a, url))]).toEqual([name, L1]);
      }
    });

    it('an unknown video or user is a 404 naming the field, and evicts nothing', async () => {
      const url = '/analytics/videos/vid_000032';
      await get(a, url);
      const unknownUser = await a.app.inject({
        method: 'POST',
        url: '/events',
        payload: { type: 'view', videoId: 'vid_000032', userId: 'usr_nobody' },
      });
      expect([unknownUser.statusCode, unknownUser.json().message]).toEqual([
        404,
        'userId: user usr_nobody does not exist',
      ]);
      const unknownVideo = await a.app.inject({
        method: 'POST',
        url: '/events',
        payload: { type: 'view', videoId: 'vid_nobody', userId: 'usr_000001' },
      });
      expect([unknownVideo.statusCode, unknownVideo.json().message]).toEqual([
        404,
        'videoId: video vid_nobody does not exist',
      ]);
      expect(cacheStatus(await get(a, url))).toBe(L1);
    });
  });

  describe('video changes evict the analytics they change', () => {
    it('deleting a video evicts its stats, its viewers’ stats, platform metrics and summaries', async () => {
      const video = await post(a, '/videos', {
        userId: 'usr_000006',
        title: 'short-lived',
        category: 'news',
      });
      await post(a, '/events', { type: 'view', videoId: video.id, userId: 'usr_000007' });
      await post(a, '/events', { type: 'share', videoId: video.id, userId: 'usr_000007' });
      const urls = {
        viewer: '/analytics/users/usr_000007?range=24h',
        summary: '/analytics/summary?range=7d',
        platform: '/analytics/platform/shares?range=24h',
        stats: `/analytics/videos/${video.id}`,
      };
      const before: Record<string, LightMyRequestResponse> = {};
      for (const [name, url] of Object.entries(urls)) {
        before[name] = await get(a, url);
        expect([name, cacheStatus(await get(b, url))]).toEqual([name, L2]);
      }
      expect(before.stats!.json<VideoStats>().totals).toEqual({ views: 1, likes: 0, shares: 1 });

      expect((await a.app.inject({ method: 'DELETE', url: `/videos/${video.id}` })).statusCode).toBe(204);

      const viewer = await get(a, urls.viewer);
      expect(cacheStatus(viewer)).toBe(MISS);
      expect(viewer.json<UserStats>().shares).toBe(before.viewer!.json<UserStats>().shares - 1);
      const summary = await get(a, urls.summary);
      expect(cacheStatus(summary)).toBe(MISS);
      expect(summary.json<{ events: number }>().events).toBe(
        before.summary!.json<{ events: number }>().events - 2,
      );
      const platform = await get(a, urls.platform);
      expect(cacheStatus(platform)).toBe(MISS);
      expect(platform.json<{ total: number }>().total).toBe(
        before.platform!.json<{ total: number }>().total - 1,
      );
      expect((await get(a, urls.stats)).statusCode).toBe(404);
      for (const url of [urls.viewer, urls.summary, urls.platform]) {
        const onA = await get(a, url);
        const onB = await eventually(b, url, (r) => r.body === onA.body);
        expect([url, cacheStatus(onB), onB.body]).toEqual([url, L2, onA.body]);
      }
      expect((await eventually(b, urls.stats, (r) => r.statusCode === 404)).statusCode).toBe(404);
    });

    it('moving a video to another category evicts the top categories of users', async () => {
      const before = unique('before');
      const after = unique('after');
      const video = await post(a, '/videos', { userId: 'usr_000006', title: 'mover', category: before });
      // Enough events for its category to lead the user's last 24 hours.
      for (let i = 0; i < 8; i++)
        await post(a, '/events', { type: 'view', videoId: video.id, userId: 'usr_000008' });
      const url = '/analytics/users/usr_000008?range=24h';
      const categories = (response: LightMyRequestResponse) =>
        response.json<UserStats>().topCategories.map((entry) => entry.category);
      const first = await get(a, url);
      expect(cacheStatus(first)).toBe(MISS);
      expect(categories(first)).toContain(before);
      expect(cacheStatus(await get(b, url))).toBe(L2);

      const patched = await a.app.inject({
        method: 'PATCH',
        url: `/videos/${video.id}`,
        payload: { category: after },
      });
      expect(patched.statusCode).toBe(200);

      const onA = await get(a, url);
      expect([cacheStatus(onA), categories(onA)]).toEqual([MISS, expect.arrayContaining([after])]);
      expect(categories(onA)).not.toContain(before);
      const onB = await eventually(b, url, (r) => categories(r).includes(after));
      expect([cacheStatus(onB), onB.body]).toEqual([L2, onA.body]);
      // A change that keeps the category leaves users' stats cached.
      await a.app.inject({ method: 'PATCH', url: `/videos/${video.id}`, payload: { title: 'renamed' } });
      expect(cacheStatus(await get(a, url))).toBe(L1);
    });
  });

  describe('bad input: a 4xx naming the field, never a 500, and the service keeps serving', () => {
    const MALFORMED = ['_*', '_%3F', '_%5Ba%5D', '_%3Ax', '_%5C', '_%25', '_%00', `_${'a'.repeat(65)}`];

    it('malformed ids, metrics and query strings', async () => {
      const cases: [url: string, status: number, field: string | undefined][] = [
        ...MALFORMED.map((rest): [string, number, string] => [`/analytics/users/usr${rest}`, 400, 'id']),
        ...MALFORMED.map((rest): [string, number, string] => [`/analytics/videos/vid${rest}`, 400, 'id']),
        ['/analytics/users/vid_000001', 400, 'id'],
        ['/analytics/videos/usr_000001', 400, 'id'],
        ['/analytics/users/%00', 400, 'id'],
        [`/analytics/videos/${'v'.repeat(5_000)}`, 414, undefined],
        ['/analytics/users/', 404, undefined],
        ['/analytics/users/usr_000001?range=1y', 400, 'range'],
        ['/analytics/users/usr_000001?range=', 400, 'range'],
        ['/analytics/users/usr_000001?range=7D', 400, 'range'],
        ['/analytics/users/usr_000001?range=7d&range=30d', 400, 'range'],
        ['/analytics/users/usr_000001?from=2020-01-01', 400, 'from'],
        ['/analytics/platform/foo', 400, 'metric'],
        ['/analytics/platform/VIEWS', 400, 'metric'],
        ['/analytics/platform/*', 400, 'metric'],
        ['/analytics/platform/views%00', 400, 'metric'],
        ['/analytics/platform/views?range=1y', 400, 'range'],
        ['/analytics/trending?limit=0', 400, 'limit'],
        ['/analytics/trending?limit=101', 400, 'limit'],
        ['/analytics/trending?limit=abc', 400, 'limit'],
        ['/analytics/trending?limit=-1', 400, 'limit'],
        ['/analytics/summary?range=1y', 400, 'range'],
        ['/analytics/summary?range=all', 400, 'range'],
      ];
      for (const [url, status, field] of cases) {
        const response = await get(a, url);
        expect([url, response.statusCode]).toEqual([url, status]);
        if (field !== undefined) expect([url, response.body]).toEqual([url, expect.stringContaining(field)]);
      }
    });

    it('malformed bodies of POST /events record nothing', async () => {
      const url = '/analytics/users/usr_000003?range=24h';
      const before = (await get(a, url)).body;
      const valid = { type: 'view', videoId: 'vid_000001', userId: 'usr_000003' };
      const cases: [name: string, payload: string, status: number, field: string | undefined][] = [
        ['type unknown', JSON.stringify({ ...valid, type: 'click' }), 400, 'type'],
        ['type missing', JSON.stringify({ ...valid, type: undefined }), 400, 'type'],
        ['type of the wrong type', JSON.stringify({ ...valid, type: 1 }), 400, 'type'],
        ['videoId with *', JSON.stringify({ ...valid, videoId: 'vid_*' }), 400, 'videoId'],
        ['videoId with ?', JSON.stringify({ ...valid, videoId: 'vid_?' }), 400, 'videoId'],
        ['videoId with :', JSON.stringify({ ...valid, videoId: 'vid_:1' }), 400, 'videoId'],
        ['videoId with \\', JSON.stringify({ ...valid, videoId: 'vid_\\' }), 400, 'videoId'],
        ['videoId with NUL', JSON.stringify({ ...valid, videoId: 'vid_1\u0000' }), 400, 'videoId'],
        ['videoId a number', JSON.stringify({ ...valid, videoId: 1 }), 400, 'videoId'],
        ['videoId of a user', JSON.stringify({ ...valid, videoId: 'usr_000001' }), 400, 'videoId'],
        ['userId missing', JSON.stringify({ ...valid, userId: undefined }), 400, 'userId'],
        ['userId with [', JSON.stringify({ ...valid, userId: 'usr_[a]' }), 400, 'userId'],
        ['userId with a lone surrogate', JSON.stringify({ ...valid, userId: 'usr_\uD800' }), 400, 'userId'],
        ['an extra field', JSON.stringify({ ...valid, weight: 5 }), 400, 'weight'],
        ['an array', JSON.stringify([valid]), 400, undefined],
        ['not JSON', '{"type":', 400, undefined],
        ['empty', '', 400, undefined],
        ['over BODY_LIMIT', JSON.stringify({ ...valid, pad: 'p'.repeat(1_100_000) }), 413, undefined],
      ];
      for (const [name, payload, status, field] of cases) {
        const response = await a.app.inject({
          method: 'POST',
          url: '/events',
          payload,
          headers: { 'content-type': 'application/json' },
        });
        expect([name, response.statusCode]).toEqual([name, status]);
        if (field !== undefined)
          expect([name, response.body]).toEqual([name, expect.stringContaining(field)]);
      }
      // Nothing was recorded, so nothing was evicted.
      const after = await get(a, url);
      expect([cacheStatus(after), after.body]).toEqual([L1, before]);
      expect((await get(a, '/analytics/summary')).statusCode).toBe(200);
      await post(a, '/events', valid);
    });
  });

  describe('measured', () => {
    it('replay: a skewed mix of reads over the seed mostly never reaches the database', async () => {
      const random = seededRandom(database === 'pglite' ? 1 : 2);
      const pick = <T>(items: readonly T[]) => skewedPick(random, items);
      const videoIds = Array.from({ length: 200 }, (_, i) => `vid_${String(i + 1).padStart(6, '0')}`);
      const userIds = Array.from({ length: 10 }, (_, i) => `usr_${String(i + 1).padStart(6, '0')}`);
      const categories = ['music', 'gaming', 'education', 'news', 'sports', 'cooking', 'travel', 'science'];
      const queries = ['guide', 'Tutorial', 'music', 'recipe', 'review', 'how to', 'highlights', 'vlog'];
      const ranges = ['24h', '7d', '30d'];
      // [share of the reads in %, a read]
      const mix: [number, () => string][] = [
        [50, () => `/videos/${pick(videoIds)}`],
        [15, () => `/videos/popular?category=${pick(categories)}`],
        [10, () => `/videos/search?q=${encodeURIComponent(pick(queries))}`],
        [10, () => `/analytics/videos/${pick(videoIds)}`],
        [5, () => `/analytics/users/${pick(userIds)}?range=${pick(ranges)}`],
        [5, () => '/analytics/trending'],
        [5, () => `/analytics/summary?range=${pick(ranges)}`],
      ];
      const reads = 600;
      const urls = Array.from({ length: reads }, () => {
        let share = random() * 100;
        for (const [weight, url] of mix) if ((share -= weight) < 0) return url();
        return mix[0]![1]();
      });

      const caches = [a, b].map((t) => t.app.get(HybridCacheService));
      // From cold: the earlier tests' entries are cleared on both replicas (A's clear reaches B's L1 over the bus).
      const namespaces = ['video', 'video-status', 'search', 'analytics'];
      for (const namespace of namespaces) await caches[0]!.clearNamespace(namespace);
      await waitFor(
        () => namespaces.every((namespace) => caches[1]!.stats().namespaces[namespace]!.l1Entries === 0),
        3_000,
      );
      const totals = () => {
        const sum = { requests: 0, misses: 0, loads: 0, l1: 0, l2: 0, stale: 0, joined: 0 };
        for (const snapshot of caches.map((cache) => cache.stats())) {
          for (const ns of Object.values(snapshot.namespaces)) {
            sum.requests += ns.requests;
            sum.misses += ns.l2.misses; // missed both tiers: the reader waited for the database
            sum.loads += ns.loads; // every database query, background refreshes included
            sum.l1 += ns.l1.hits;
            sum.l2 += ns.l2.hits;
            sum.stale += ns.stale;
            sum.joined += ns.coalesced; // joined a load already running (a predictive pre-load, say)
          }
        }
        return sum;
      };
      /** Replays every read, alternating replicas as a load balancer would; returns the counters' change. */
      const replay = async () => {
        const before = totals();
        for (const [i, url] of urls.entries()) {
          const response = await get(i % 2 === 0 ? a : b, url);
          expect([url, response.statusCode]).toEqual([url, 200]);
        }
        await new Promise((resolve) => setTimeout(resolve, 100)); // background refreshes finish
        const after = totals();
        const d = Object.fromEntries(
          Object.entries(after).map(([name, value]) => [name, value - before[name as keyof typeof before]]),
        ) as typeof after;
        expect(d.requests).toBe(reads);
        expect(d.l1 + d.l2 + d.stale + d.misses + d.joined).toBe(reads);
        return d;
      };
      const percent = (part: number) => `${((part / reads) * 100).toFixed(1)}%`;
      const describeRun = (label: string, d: Awaited<ReturnType<typeof replay>>) =>
        `${label}: ${d.l1 + d.l2} served from cache = ${percent(d.l1 + d.l2)} (${d.l1} L1, ${d.l2} L2, ` +
        `${d.stale} stale), ${d.misses} waited for the database = ${percent(d.misses)}; database queries ` +
        `in all ${d.loads} (${d.loads - d.misses} of them background refreshes)`;

      const cold = await replay();
      const warm = await replay();
      console.log(
        `replay on ${database}, ${reads} skewed reads over the seed, alternating 2 replicas\n` +
          `  ${describeRun('from cold', cold)}\n  ${describeRun('again', warm)}`,
      );
      expect(cold.misses).toBeLessThan(reads * 0.35);
      expect(warm.misses).toBe(0);
    });
  });
});
