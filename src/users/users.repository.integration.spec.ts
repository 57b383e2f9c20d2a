import { sql } from 'drizzle-orm';
import {
  DATABASE_KINDS,
  openTestDatabase,
  zoneWithRecentDstChange,
  type OpenTestDatabase,
} from '../../test/fixtures/database.js';
import { TRICKY_JSON, TRICKY_TEXTS } from '../../test/fixtures/texts.js';
import { events, isUniqueViolation, USERS_EMAIL_UNIQUE, type JsonObject } from '../database/index.js';
import { VideosRepository } from '../videos/videos.repository.js';
import { UsersRepository } from './users.repository.js';

describe.each(DATABASE_KINDS)('UsersRepository on %s', (kind) => {
  let database: OpenTestDatabase;
  let repository: UsersRepository;

  beforeAll(async () => {
    // A zone that changed to daylight-saving time three days ago: "the last 7 days" must still
    // mean 168 hours.
    database = await openTestDatabase(kind, { timeZone: zoneWithRecentDstChange() });
    repository = new UsersRepository(database.db);
  });

  afterAll(() => database?.close());

  it('creates a user with a server-chosen id and empty settings', async () => {
    const user = await repository.create({ name: 'Ada', email: 'ada@example.com' });

    expect(user).toEqual({
      id: expect.stringMatching(/^usr_[0-9a-f-]{36}$/),
      name: 'Ada',
      email: 'ada@example.com',
      settings: {},
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
  });

  it('finds the public profile by id, without email or settings', async () => {
    const created = await repository.create({
      name: 'Bruno',
      email: 'b@example.com',
      settings: { theme: 'dark' },
    });

    const found = await repository.findById(created.id);

    expect(found).toEqual({
      id: created.id,
      name: 'Bruno',
      createdAt: created.createdAt,
      updatedAt: created.updatedAt,
    });
  });

  it('finds the private profile by id, with email and settings', async () => {
    const created = await repository.create({
      name: 'Chloé',
      email: 'c@example.com',
      settings: { theme: 'dark' },
    });

    expect(await repository.findPrivateById(created.id)).toEqual(created);
  });

  it('answers null for unknown ids', async () => {
    expect(await repository.findById('usr_unknown')).toBeNull();
    expect(await repository.findPrivateById('usr_unknown')).toBeNull();
    expect(await repository.update('usr_unknown', { name: 'x' })).toBeNull();
    expect(await repository.exists('usr_unknown')).toBe(false);
  });

  it('updates only the given fields, replaces settings, and bumps updatedAt', async () => {
    const created = await repository.create({
      name: 'Dmitri',
      email: 'd@example.com',
      settings: { a: 1, b: 2 },
    });

    const updated = await repository.update(created.id, {
      name: 'Dima',
      settings: { c: 3 },
      email: undefined,
    });

    expect(updated).toEqual({
      ...created,
      name: 'Dima',
      settings: { c: 3 },
      updatedAt: expect.any(Date),
    });
    expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
  });

  it('treats an empty patch as a read, and ignores fields that are not updatable', async () => {
    const created = await repository.create({ name: 'Elif', email: 'e@example.com' });
    const sneaky = { id: 'usr_hijacked', createdAt: new Date(0) } as Parameters<UsersRepository['update']>[1];

    expect(await repository.update(created.id, {})).toEqual(created);
    expect(await repository.update(created.id, sneaky)).toEqual(created);
    expect(await repository.exists('usr_hijacked')).toBe(false);
  });

  it('tells whether a user exists', async () => {
    const created = await repository.create({ name: 'Farah', email: 'f@example.com' });

    expect(await repository.exists(created.id)).toBe(true);
  });

  it.each(
    TRICKY_TEXTS.map((text) => [text.length > 40 ? `${text.slice(0, 20)}… (${text.length})` : text, text]),
  )('stores the name %j byte for byte', async (_label, text) => {
    const created = await repository.create({ name: text, email: text });

    const found = await repository.findPrivateById(created.id);

    expect(found!.name).toBe(text);
    expect(found!.email).toBe(text);
    expect(Buffer.from(found!.name).equals(Buffer.from(text))).toBe(true);
  });

  it('stores settings exactly, key order and special keys included', async () => {
    for (const [n, value] of TRICKY_JSON.entries()) {
      const settings = { value } as JsonObject;
      const created = await repository.create({ name: 'json', email: `j${n}@example.com`, settings });
      const found = await repository.findPrivateById(created.id);
      expect(JSON.stringify(found!.settings)).toBe(JSON.stringify(settings));
    }
  });

  it('refuses a second user with the same email in any case (a unique index on lower(email))', async () => {
    const first = await repository.create({ name: 'Unique', email: 'unique.person@example.com' });
    const other = await repository.create({ name: 'Other', email: 'other.person@example.com' });

    const duplicate = await repository
      .create({ name: 'Copy', email: 'Unique.Person@EXAMPLE.com' })
      .catch((e) => e);
    const patched = await repository.update(other.id, { email: 'UNIQUE.PERSON@example.com' }).catch((e) => e);
    const ownCase = await repository.update(first.id, { email: 'Unique.Person@example.com' });

    expect(isUniqueViolation(duplicate, USERS_EMAIL_UNIQUE)).toBe(true);
    expect(isUniqueViolation(patched, USERS_EMAIL_UNIQUE)).toBe(true);
    expect((await repository.findPrivateById(other.id))!.email).toBe('other.person@example.com');
    expect(ownCase!.email).toBe('Unique.Person@example.com');
  });

  it('cannot store NUL in a text column: the reason DTOs reject it with isStorableText', async () => {
    await expect(repository.create({ name: 'a\u0000b', email: 'nul@example.com' })).rejects.toMatchObject({
      cause: { code: '22021' }, // character_not_in_repertoire: "invalid byte sequence ... 0x00"
    });
  });

  it('lists the most active users of the last days, by event count', async () => {
    const videosRepository = new VideosRepository(database.db);
    const [busy, quiet, idle] = await Promise.all(
      ['busy', 'quiet', 'idle'].map((name) => repository.create({ name, email: `${name}@example.com` })),
    );
    const video = await videosRepository.create({ userId: idle.id, title: 'v', category: 'music' });
    const at = (daysAgo: number) => sql`now() - make_interval(days => ${daysAgo})`;
    await database.db.insert(events).values([
      ...Array.from({ length: 3 }, () => ({
        type: 'view' as const,
        videoId: video!.id,
        userId: busy.id,
        createdAt: at(1),
      })),
      { type: 'like', videoId: video!.id, userId: quiet.id, createdAt: at(2) },
      // Outside a 7-day window: counts only over 30 days.
      ...Array.from({ length: 5 }, () => ({
        type: 'view' as const,
        videoId: video!.id,
        userId: idle.id,
        createdAt: at(20),
      })),
    ]);

    expect(await repository.listMostActive(10)).toEqual([
      { id: busy.id, events: 3 },
      { id: quiet.id, events: 1 },
    ]);
    expect(await repository.listMostActive(1, 30)).toEqual([{ id: idle.id, events: 5 }]);
  });

  it('counts exactly the last 7 × 24 hours as the last 7 days', async () => {
    const edge = await repository.create({ name: 'edge', email: 'edge@example.com' });
    const video = await new VideosRepository(database.db).create({
      userId: edge.id,
      title: 'v',
      category: 'music',
    });
    const minutesAgo = (minutes: number) => sql`now() - make_interval(mins => ${minutes})`;
    const week = 7 * 24 * 60;
    await database.db.insert(events).values(
      [week - 20, week - 20, week + 20].map((minutes) => ({
        type: 'view' as const,
        videoId: video!.id,
        userId: edge.id,
        createdAt: minutesAgo(minutes),
      })),
    );

    // Two events 20 minutes inside the window, one 20 minutes outside.
    expect((await repository.listMostActive(100)).find((user) => user.id === edge.id)).toEqual({
      id: edge.id,
      events: 2,
    });
  });
});
