import { sql } from 'drizzle-orm';
import { DATABASE_KINDS, openTestDatabase, type OpenTestDatabase } from '../../test/fixtures/database.js';
import type { Database } from './database.connection.js';
import { queryRows } from './raw-query.js';
import { EVENT_TYPES } from './schema.js';
import { SEED_CATEGORIES } from './seed-content.js';
import {
  generateSeedData,
  isDatabaseEmpty,
  resetDatabase,
  SEED_EVENT_WINDOW_DAYS,
  seedDatabase,
  seedIfEmpty,
  seedSizes,
} from './seed.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const DAY_MS = 86_400_000;

async function count(db: Database, table: string): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    db,
    sql`select count(*) as n from ${sql.identifier(table)}`,
  );
  return Number(row.n);
}

/** Videos whose counters differ from the events recorded for them (there should be none). */
async function countersOffFromEvents(db: Database): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    db,
    sql`select count(*) as n from videos v
        left join (
          select video_id,
            count(*) filter (where type = 'view') as views,
            count(*) filter (where type = 'like') as likes,
            count(*) filter (where type = 'share') as shares
          from events group by video_id
        ) e on e.video_id = v.id
        where v.view_count <> coalesce(e.views, 0)
           or v.like_count <> coalesce(e.likes, 0)
           or v.share_count <> coalesce(e.shares, 0)`,
  );
  return Number(row.n);
}

/** Secondary indexes and foreign keys of the schema, to check seeding puts back what it set aside. */
async function structure(db: Database): Promise<string[]> {
  const rows = await queryRows<{ item: string }>(
    db,
    sql`select indexname || ': ' || indexdef as item from pg_indexes where schemaname = 'public'
        union all
        select conname || ': ' || pg_get_constraintdef(oid) from pg_constraint where contype = 'f'
        order by 1`,
  );
  return rows.map((row) => row.item);
}

describe('generateSeedData', () => {
  const data = generateSeedData({ scale: 0.05, now: NOW });

  it('scales the sizes and never goes below one row', () => {
    expect(seedSizes(1)).toEqual({ users: 1_000, videos: 20_000, events: 200_000 });
    expect(seedSizes(0.01)).toEqual({ users: 10, videos: 200, events: 2_000 });
    expect(seedSizes(0.0001)).toEqual({ users: 1, videos: 2, events: 20 });
    expect(data.users).toHaveLength(50);
    expect(data.videos).toHaveLength(1_000);
    expect(data.events.count).toBe(10_000);
    expect(data.templates.length).toBeGreaterThanOrEqual(20);
    expect(data.configEntries.length).toBeGreaterThanOrEqual(20);
  });

  it('is deterministic: the same options give the same rows', () => {
    const again = generateSeedData({ scale: 0.05, now: NOW });
    const otherSeed = generateSeedData({ scale: 0.05, now: NOW, seed: 7 });

    expect(again.users.slice(0, 20)).toEqual(data.users.slice(0, 20));
    expect(again.videos.slice(0, 20)).toEqual(data.videos.slice(0, 20));
    expect(again.events.video).toEqual(data.events.video);
    expect(again.events.time).toEqual(data.events.time);
    expect(
      otherSeed.videos[0].title === data.videos[0].title && otherSeed.users[0].name === data.users[0].name,
    ).toBe(false);
  });

  it('uses stable, zero-padded ids', () => {
    expect(data.users[0].id).toBe('usr_000001');
    expect(data.users[49].id).toBe('usr_000050');
    expect(data.videos[0].id).toBe('vid_000001');
    expect(data.templates[0].id).toBe('tpl_000001');
    expect(new Set(data.videos.map((video) => video.userId)).size).toBeGreaterThan(1);
  });

  it('spreads videos over the eight categories, unevenly', () => {
    const perCategory = new Map<string, number>();
    for (const video of data.videos)
      perCategory.set(video.category, (perCategory.get(video.category) ?? 0) + 1);

    expect([...perCategory.keys()].sort()).toEqual(SEED_CATEGORIES.map(([name]) => name).sort());
    expect(perCategory.get('music')).toBeGreaterThan(2 * perCategory.get('science')!);
  });

  it('places events in the last 90 days, after their video was created, oldest first', () => {
    const { events, videos } = data;
    for (let i = 0; i < events.count; i++) {
      const time = events.time[i];
      if (time > NOW.getTime() || time < NOW.getTime() - SEED_EVENT_WINDOW_DAYS * DAY_MS)
        throw new Error(`event ${i}`);
      if (time < videos[events.video[i]].createdAt.getTime())
        throw new Error(`event ${i} predates its video`);
      if (i > 0 && time < events.time[i - 1]) throw new Error(`event ${i} out of order`);
    }
    expect(events.count).toBe(10_000);
  });

  it('skews popularity: the top 1% of videos get far more than 1% of the events', () => {
    const perVideo = Array.from({ length: data.videos.length }, () => 0);
    for (let i = 0; i < data.events.count; i++) perVideo[data.events.video[i]]++;
    const top = perVideo.sort((a, b) => b - a).slice(0, data.videos.length / 100);
    const topShare = top.reduce((sum, n) => sum + n, 0) / data.events.count;

    expect(topShare).toBeGreaterThan(0.15);
  });

  it('sets each video counter to the tally of its events', () => {
    const views = data.videos.reduce((sum, video) => sum + video.viewCount, 0);
    const likes = data.videos.reduce((sum, video) => sum + video.likeCount, 0);
    const shares = data.videos.reduce((sum, video) => sum + video.shareCount, 0);
    const ofType = (type: number) => data.events.type.filter((t) => t === type).length;

    expect([views, likes, shares]).toEqual([0, 1, 2].map(ofType));
    expect(views + likes + shares).toBe(data.events.count);
    expect(EVENT_TYPES).toEqual(['view', 'like', 'share']);
  });
});

describe.each(DATABASE_KINDS)('seeding %s', (kind) => {
  let database: OpenTestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });

  afterAll(() => database?.close());

  it('fills an empty database with the generated rows, counters matching the events', async () => {
    const before = await structure(database.db);
    expect(await isDatabaseEmpty(database.db)).toBe(true);

    const report = await seedIfEmpty(database.db, { scale: 0.01, now: NOW });

    expect(report).toMatchObject({ users: 10, videos: 200, events: 2_000, templates: 20, configEntries: 20 });
    expect(await count(database.db, 'users')).toBe(10);
    expect(await count(database.db, 'videos')).toBe(200);
    expect(await count(database.db, 'events')).toBe(2_000);
    expect(await count(database.db, 'templates')).toBe(20);
    expect(await count(database.db, 'config_entries')).toBe(20);
    expect(await countersOffFromEvents(database.db)).toBe(0);
    // The indexes and foreign keys set aside during the load are back, unchanged.
    expect(await structure(database.db)).toEqual(before);
  });

  it('stores the generated rows exactly (first rows, unicode, JSON)', async () => {
    const expected = generateSeedData({ scale: 0.01, now: NOW });
    const [user] = await queryRows<{
      id: string;
      name: string;
      email: string;
      settings: unknown;
      created_at: string;
    }>(database.db, sql`select id, name, email, settings, created_at from users order by id limit 1`);
    const titles = await queryRows<{ id: string; title: string }>(
      database.db,
      sql`select id, title from videos order by id limit 5`,
    );
    const [firstEvent] = await queryRows<{ id: string | number; video_id: string }>(
      database.db,
      sql`select id, video_id from events order by id limit 1`,
    );

    expect(user).toMatchObject({
      id: 'usr_000001',
      name: expected.users[0].name,
      email: expected.users[0].email,
    });
    expect(user.settings).toEqual(expected.users[0].settings);
    expect(new Date(user.created_at)).toEqual(expected.users[0].createdAt);
    expect(titles).toEqual(expected.videos.slice(0, 5).map(({ id, title }) => ({ id, title })));
    expect(Number(firstEvent.id)).toBe(1);
    expect(firstEvent.video_id).toBe(expected.videos[expected.events.video[0]].id);
  });

  it('keeps the foreign keys enforced after seeding', async () => {
    await expect(
      database.db.execute(
        sql`insert into events (type, video_id, user_id) values ('view', 'vid_missing', 'usr_000001')`,
      ),
    ).rejects.toMatchObject({ cause: { code: '23503' } }); // foreign_key_violation
  });

  it('leaves a database that holds data alone', async () => {
    expect(await seedIfEmpty(database.db, { scale: 0.01 })).toBeNull();
    expect(await count(database.db, 'users')).toBe(10);
  });

  it('starts over after a reset', async () => {
    await resetDatabase(database.db);
    expect(await isDatabaseEmpty(database.db)).toBe(true);
    expect(await count(database.db, 'events')).toBe(0);

    await seedDatabase(database.db, { scale: 0.01, now: NOW });

    const [firstEvent] = await queryRows<{ id: string | number }>(
      database.db,
      sql`select min(id) as id from events`,
    );
    expect(Number(firstEvent.id)).toBe(1);
    expect(await countersOffFromEvents(database.db)).toBe(0);
  });
});

describe('seeding PostgreSQL at scale 1', () => {
  let database: OpenTestDatabase;

  afterAll(() => database?.close());

  it('inserts 1,000 users, 20,000 videos and 200,000 events quickly, counters matching', async () => {
    database = await openTestDatabase('postgres');
    const report = await seedDatabase(database.db, { scale: 1 });

    expect(report).toMatchObject({ users: 1_000, videos: 20_000, events: 200_000 });
    expect(await count(database.db, 'events')).toBe(200_000);
    expect(await countersOffFromEvents(database.db)).toBe(0);
    expect(report.ms).toBeLessThan(20_000);
  });
});
