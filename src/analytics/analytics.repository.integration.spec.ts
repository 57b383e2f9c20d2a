import { eq, inArray, sql } from 'drizzle-orm';
import {
  DATABASE_KINDS,
  openTestDatabase,
  zoneWithRecentDstChange,
  type OpenTestDatabase,
} from '../../test/fixtures/database.js';
import {
  events,
  queryRows,
  users as usersTable,
  videos as videosTable,
  type EventType,
} from '../database/index.js';
import { UsersRepository } from '../users/users.repository.js';
import { VideosRepository } from '../videos/videos.repository.js';
import {
  AnalyticsRepository,
  ANALYTICS_RANGES,
  PLATFORM_METRICS,
  TRENDING_WEIGHTS,
  type MetricSeries,
} from './analytics.repository.js';
import { EventsRepository } from './events.repository.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const utcDay = (time: number) => Math.floor(time / DAY) * DAY;
const utcHour = (time: number) => Math.floor(time / HOUR) * HOUR;

// Buckets are UTC and ranges fixed durations whatever the session's time zone: run every query in
// an odd one, which changed to daylight-saving time three days ago, to prove it.
const TIME_ZONE = zoneWithRecentDstChange();

describe.each(DATABASE_KINDS)('AnalyticsRepository on %s', (kind) => {
  let database: OpenTestDatabase;
  let repository: AnalyticsRepository;
  /** The database clock when the events were arranged; every age below is relative to it. */
  let now: number;
  let a: string, b: string, c: string;
  let v1: string, v2: string, v3: string, v4: string;
  /** The arranged events, to derive expected buckets from. */
  const arranged: { type: EventType; videoId: string; userId: string; age: number }[] = [];

  beforeAll(async () => {
    // The buckets expected below come from the clock read here; the queries run within seconds.
    // Started in the last 30 s of a UTC hour, they could run in the next hour (or day).
    const toNextHour = HOUR - (Date.now() % HOUR);
    if (toNextHour < 30_000) await new Promise((resolve) => setTimeout(resolve, toNextHour + 1_000));
    database = await openTestDatabase(kind, { timeZone: TIME_ZONE });
    repository = new AnalyticsRepository(database.db);
    const users = new UsersRepository(database.db);
    const videos = new VideosRepository(database.db);
    [a, b, c] = await Promise.all(
      ['a', 'b', 'c'].map(async (name) => (await users.create({ name, email: name })).id),
    );
    const video = async (category: string) =>
      (await videos.create({ userId: a, title: category, category }))!.id;
    [v1, v2, v3, v4] = [
      await video('music'),
      await video('gaming'),
      await video('music'),
      await video('news'),
    ];

    const [clock] = await queryRows<{ now: string }>(database.db, sql`select ${sql`now()`}::text as now`);
    now = new Date(clock.now).getTime();
    // c signed up 60 days ago, v4 was uploaded 40 days ago.
    await database.db
      .update(usersTable)
      .set({ createdAt: new Date(now - 60 * DAY) })
      .where(eq(usersTable.id, c));
    await database.db
      .update(videosTable)
      .set({ createdAt: new Date(now - 40 * DAY) })
      .where(eq(videosTable.id, v4));

    arranged.push(
      { type: 'view', videoId: v1, userId: a, age: 1 * HOUR },
      { type: 'view', videoId: v1, userId: a, age: 1 * HOUR },
      { type: 'like', videoId: v1, userId: a, age: 2 * HOUR },
      { type: 'view', videoId: v1, userId: b, age: 30 * MINUTE },
      { type: 'share', videoId: v2, userId: a, age: 3 * DAY },
      { type: 'view', videoId: v2, userId: b, age: 5 * DAY },
      { type: 'view', videoId: v3, userId: a, age: 10 * DAY },
      { type: 'view', videoId: v1, userId: a, age: 40 * DAY },
      { type: 'view', videoId: v2, userId: a, age: 100 * DAY },
    );
    await database.db
      .insert(events)
      .values(arranged.map(({ age, ...event }) => ({ ...event, createdAt: new Date(now - age) })));
  });

  afterAll(() => database?.close());

  it(`runs in the ${TIME_ZONE} time zone`, async () => {
    const [row] = await queryRows<{ zone: string }>(
      database.db,
      sql`select current_setting('TimeZone') as zone`,
    );
    expect(row.zone).toBe(TIME_ZONE);
  });

  describe('userStats', () => {
    it.each([
      [
        '24h',
        {
          views: 2,
          likes: 1,
          shares: 0,
          distinctVideos: 1,
          topCategories: [{ category: 'music', events: 3 }],
        },
      ],
      [
        '7d',
        {
          views: 2,
          likes: 1,
          shares: 1,
          distinctVideos: 2,
          topCategories: [
            { category: 'music', events: 3 },
            { category: 'gaming', events: 1 },
          ],
        },
      ],
      [
        '30d',
        {
          views: 3,
          likes: 1,
          shares: 1,
          distinctVideos: 3,
          topCategories: [
            { category: 'music', events: 4 },
            { category: 'gaming', events: 1 },
          ],
        },
      ],
      [
        '90d',
        {
          views: 4,
          likes: 1,
          shares: 1,
          distinctVideos: 3,
          topCategories: [
            { category: 'music', events: 5 },
            { category: 'gaming', events: 1 },
          ],
        },
      ],
    ] as const)('counts what the user did over %s', async (range, expected) => {
      expect(await repository.userStats(a, range)).toEqual({ userId: a, range, ...expected });
    });

    it('answers zeros for a user without events and null for an unknown user', async () => {
      expect(await repository.userStats(c, '90d')).toEqual({
        userId: c,
        range: '90d',
        views: 0,
        likes: 0,
        shares: 0,
        distinctVideos: 0,
        topCategories: [],
      });
      expect(await repository.userStats('usr_unknown', '7d')).toBeNull();
    });
  });

  describe('videoStats', () => {
    it('counts all-time totals and unique viewers, and the last 30 days by UTC day', async () => {
      const stats = await repository.videoStats(v1);
      const expectedDays = new Map<number, { views: number; likes: number; shares: number }>();
      for (const event of arranged.filter((e) => e.videoId === v1 && e.age < 29 * DAY)) {
        const day = utcDay(now - event.age);
        const counts = expectedDays.get(day) ?? { views: 0, likes: 0, shares: 0 };
        counts[`${event.type}s`]++;
        expectedDays.set(day, counts);
      }

      expect(stats!.totals).toEqual({ views: 4, likes: 1, shares: 0 });
      expect(stats!.uniqueViewers).toBe(2);
      expect(stats!.last30Days).toHaveLength(30);
      expect(stats!.last30Days[0].day.getTime()).toBe(utcDay(now) - 29 * DAY);
      expect(stats!.last30Days[29].day.getTime()).toBe(utcDay(now));
      for (const { day, ...counts } of stats!.last30Days) {
        expect(counts).toEqual(expectedDays.get(day.getTime()) ?? { views: 0, likes: 0, shares: 0 });
      }
    });

    it('agrees with the video counters kept by EventsRepository', async () => {
      const recorder = new EventsRepository(database.db);
      const video = await new VideosRepository(database.db).create({
        userId: b,
        title: 'fresh',
        category: 'news',
      });
      for (const type of ['view', 'view', 'like', 'share', 'view'] as const)
        await recorder.record(type, video!.id, c);

      const stats = await repository.videoStats(video!.id);
      const counters = await new VideosRepository(database.db).findById(video!.id);

      expect(stats!.totals).toEqual({
        views: counters!.viewCount,
        likes: counters!.likeCount,
        shares: counters!.shareCount,
      });
      expect(stats!.uniqueViewers).toBe(1);

      await new VideosRepository(database.db).delete(video!.id);
    });

    it('answers null for an unknown video', async () => {
      expect(await repository.videoStats('vid_unknown')).toBeNull();
    });
  });

  describe('platformMetric', () => {
    const expectContiguous = (series: MetricSeries, buckets: number, step: number) => {
      expect(series.points).toHaveLength(buckets);
      series.points.forEach((point, i) => {
        expect(point.start.getTime()).toBe(series.points[0].start.getTime() + i * step);
      });
    };

    it('counts views by hour over 24 hours, every hour present', async () => {
      const series = await repository.platformMetric('views', '24h');
      const expected = new Map<number, number>();
      for (const event of arranged.filter((e) => e.type === 'view' && e.age < DAY)) {
        const hour = utcHour(now - event.age);
        expected.set(hour, (expected.get(hour) ?? 0) + 1);
      }

      expect(series).toMatchObject({ metric: 'views', range: '24h', bucket: 'hour', total: 3 });
      expectContiguous(series, 25, HOUR);
      expect(series.points.at(-1)!.start.getTime()).toBe(utcHour(now));
      for (const point of series.points) expect(point.value).toBe(expected.get(point.start.getTime()) ?? 0);
    });

    it.each([
      ['likes', '7d', 1, 8],
      ['shares', '7d', 1, 8],
      ['shares', '24h', 0, 25],
      ['views', '30d', 5, 31],
      ['views', '90d', 6, 91],
    ] as const)('counts %s over %s', async (metric, range, total, buckets) => {
      const series = await repository.platformMetric(metric, range);

      expect(series.total).toBe(total);
      expect(series.points.reduce((sum, point) => sum + point.value, 0)).toBe(total);
      expectContiguous(series, buckets, range === '24h' ? HOUR : DAY);
    });

    it('counts active users once over the range, and per bucket', async () => {
      const series = await repository.platformMetric('active-users', '7d');

      expect(series.total).toBe(2);
      expect(Math.max(...series.points.map((point) => point.value))).toBeGreaterThanOrEqual(1);
      expect(series.points.every((point) => point.value <= 2)).toBe(true);
    });

    it('counts new videos from the videos table', async () => {
      expect((await repository.platformMetric('new-videos', '30d')).total).toBe(3);
      expect((await repository.platformMetric('new-videos', '90d')).total).toBe(4);
    });

    it('answers every metric over every range', async () => {
      for (const metric of PLATFORM_METRICS) {
        for (const range of ANALYTICS_RANGES) {
          const series = await repository.platformMetric(metric, range);
          expect(series.points.length).toBeGreaterThan(0);
        }
      }
    });
  });

  describe('range edges, with the zone’s daylight-saving change inside every range but 24h', () => {
    const HOURS = { '24h': 24, '7d': 168, '30d': 720, '90d': 2160 } as const;

    /** Runs `check` while c has two shares on v4, 20 minutes inside and 20 minutes outside `hours`. */
    const withEdgeShares = async (hours: number, check: () => Promise<void>) => {
      const inserted = await database.db
        .insert(events)
        .values(
          [hours * HOUR - 20 * MINUTE, hours * HOUR + 20 * MINUTE].map((age) => ({
            type: 'share' as const,
            videoId: v4,
            userId: c,
            createdAt: new Date(now - age),
          })),
        )
        .returning({ id: events.id });
      try {
        await check();
      } finally {
        await database.db.delete(events).where(
          inArray(
            events.id,
            inserted.map((row) => row.id),
          ),
        );
      }
    };

    it.each(ANALYTICS_RANGES)('%s starts exactly that many hours ago', async (range) => {
      const before = await repository.platformMetric('shares', range);

      await withEdgeShares(HOURS[range], async () => {
        expect((await repository.platformMetric('shares', range)).total).toBe(before.total + 1);
        expect((await repository.userStats(c, range))!.shares).toBe(1);
      });
    });

    it('trending counts exactly the last 168 hours', async () => {
      await withEdgeShares(HOURS['7d'], async () => {
        expect((await repository.trending(10)).find((video) => video.videoId === v4)).toMatchObject({
          score: TRENDING_WEIGHTS.share,
          events7d: 1,
        });
      });
    });
  });

  describe('trending', () => {
    it('ranks by weighted events of the last 7 days, recent ones weighing more', async () => {
      expect(await repository.trending(10)).toEqual([
        // view 1×3, view 1×3, like 3×3, view 1×3 (all within 24 hours)
        { videoId: v1, userId: a, title: 'music', category: 'music', score: 18, events24h: 4, events7d: 4 },
        // share 5, view 1 (older than 24 hours)
        { videoId: v2, userId: a, title: 'gaming', category: 'gaming', score: 6, events24h: 0, events7d: 2 },
      ]);
      expect((await repository.trending(1)).map((video) => video.videoId)).toEqual([v1]);
    });
  });

  describe('summary', () => {
    it.each([
      [
        '24h',
        {
          views: 3,
          likes: 1,
          shares: 0,
          events: 4,
          activeUsers: 2,
          activeVideos: 1,
          newUsers: 2,
          newVideos: 3,
        },
      ],
      [
        '7d',
        {
          views: 4,
          likes: 1,
          shares: 1,
          events: 6,
          activeUsers: 2,
          activeVideos: 2,
          newUsers: 2,
          newVideos: 3,
        },
      ],
      [
        '90d',
        {
          views: 6,
          likes: 1,
          shares: 1,
          events: 8,
          activeUsers: 2,
          activeVideos: 3,
          newUsers: 3,
          newVideos: 4,
        },
      ],
    ] as const)('totals the platform over %s', async (range, expected) => {
      expect(await repository.summary(range)).toEqual({
        range,
        ...expected,
        totals: { users: 3, videos: 4 },
      });
    });
  });
});
