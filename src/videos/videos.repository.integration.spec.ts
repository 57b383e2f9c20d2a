import { eq, sql } from 'drizzle-orm';
import { DATABASE_KINDS, openTestDatabase, type OpenTestDatabase } from '../../test/fixtures/database.js';
import { TRICKY_TEXTS } from '../../test/fixtures/texts.js';
import { EventsRepository } from '../analytics/events.repository.js';
import { events, videos as videosTable } from '../database/index.js';
import { QueueRepository } from '../users/queue.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { escapeLike, VideosRepository, type UpdateVideoInput } from './videos.repository.js';

describe('escapeLike', () => {
  it('escapes the backslash, percent and underscore, nothing else', () => {
    expect(escapeLike('50%_off\\now*')).toBe('50\\%\\_off\\\\now*');
  });
});

describe.each(DATABASE_KINDS)('VideosRepository on %s', (kind) => {
  let database: OpenTestDatabase;
  let repository: VideosRepository;
  let users: UsersRepository;
  let userId: string;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    repository = new VideosRepository(database.db);
    users = new UsersRepository(database.db);
    userId = (await users.create({ name: 'Owner', email: 'o@example.com' })).id;
  });

  afterAll(() => database?.close());

  /** A user of its own, so counts and orders do not depend on the other tests. */
  let fresh = 0;
  const freshUser = async () => (await users.create({ name: 'Fresh', email: `f${++fresh}@example.com` })).id;

  /** Sets a video's view counter directly, to arrange popularity. */
  const setViews = (id: string, viewCount: number) =>
    database.db.update(videosTable).set({ viewCount }).where(eq(videosTable.id, id));

  it('creates a queued video with a server-chosen id and zero counters', async () => {
    const video = await repository.create({ userId, title: 'Intro', category: 'education' });

    expect(video).toEqual({
      id: expect.stringMatching(/^vid_[0-9a-f-]{36}$/),
      userId,
      title: 'Intro',
      description: '',
      category: 'education',
      durationSec: null,
      format: null,
      status: 'queued',
      progress: 0,
      viewCount: 0,
      likeCount: 0,
      shareCount: 0,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    expect(await repository.findById(video!.id)).toEqual(video);
  });

  it('answers null when creating for an unknown user, and for unknown ids', async () => {
    expect(await repository.create({ userId: 'usr_unknown', title: 't', category: 'c' })).toBeNull();
    expect(await repository.findById('vid_unknown')).toBeNull();
    expect(await repository.update('vid_unknown', { title: 'x' })).toBeNull();
    expect(await repository.update('vid_unknown', {})).toBeNull();
    expect(await repository.delete('vid_unknown')).toBeNull();
    expect(await repository.getStatus('vid_unknown')).toBeNull();
    expect(await repository.setStatus('vid_unknown', 'ready')).toBeNull();
  });

  it('updates the given fields and returns the video before and after', async () => {
    const video = await repository.create({
      userId,
      title: 'Old',
      category: 'music',
      description: 'd',
      durationSec: 60,
      format: 'mp4',
    });

    const change = await repository.update(video!.id, {
      title: 'New',
      category: 'gaming',
      durationSec: null,
    });

    expect(change!.previous).toEqual(video);
    expect(change!.current).toEqual({
      ...video,
      title: 'New',
      category: 'gaming',
      durationSec: null,
      updatedAt: expect.any(Date),
    });
    expect(await repository.findById(video!.id)).toEqual(change!.current);
  });

  it('ignores fields that are not metadata, and treats an empty patch as a read', async () => {
    const video = await repository.create({ userId, title: 'Keep', category: 'music' });
    const sneaky = { viewCount: 1_000_000, userId: 'usr_other', status: 'ready' } as UpdateVideoInput;

    expect(await repository.update(video!.id, sneaky)).toEqual({ previous: video, current: video });
    expect(await repository.update(video!.id, {})).toEqual({ previous: video, current: video });
  });

  it('deletes a video with its events and queue entries, returning its owner and category', async () => {
    const video = await repository.create({ userId, title: 'Doomed', category: 'news' });
    await new EventsRepository(database.db).record('view', video!.id, userId);
    await new QueueRepository(database.db).add(userId, video!.id);

    const deleted = await repository.delete(video!.id);

    expect(deleted).toEqual({ id: video!.id, userId, category: 'news' });
    expect(await repository.findById(video!.id)).toBeNull();
    expect(await database.db.$count(events, eq(events.videoId, video!.id))).toBe(0);
    expect(await new QueueRepository(database.db).list(userId)).toEqual([]);
    expect(await repository.delete(video!.id)).toBeNull();
  });

  it('pages a user’s videos, newest first', async () => {
    const owner = await freshUser();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const video = await repository.create({ userId: owner, title: `#${i}`, category: 'music' });
      ids.push(video!.id);
      // Distinct creation times, one minute apart, so "newest first" is unambiguous.
      await database.db
        .update(videosTable)
        .set({ createdAt: sql`now() - make_interval(mins => ${25 - i})` })
        .where(eq(videosTable.id, video!.id));
    }
    const newestFirst = ids.toReversed();

    const first = await repository.listByUser(owner, 1, 10);
    const last = await repository.listByUser(owner, 3, 10);
    const beyond = await repository.listByUser(owner, 4, 10);

    expect(first!.total).toBe(25);
    expect(first!.items.map((video) => video.id)).toEqual(newestFirst.slice(0, 10));
    expect(last!.items.map((video) => video.id)).toEqual(newestFirst.slice(20));
    expect(beyond).toEqual({ items: [], total: 25 });
  });

  it('lists no videos for a user without any, and null for an unknown user', async () => {
    expect(await repository.listByUser(await freshUser(), 1, 20)).toEqual({ items: [], total: 0 });
    expect(await repository.listByUser('usr_unknown', 1, 20)).toBeNull();
  });

  it('rejects invalid paging as a programming error', async () => {
    await expect(repository.listByUser(userId, 0, 20)).rejects.toThrow(RangeError);
  });

  it('lists the most viewed videos, per category or overall, ties by id', async () => {
    const category = `popular-${kind}`;
    const made = [];
    for (const views of [5, 50, 7, 50, 0]) {
      const video = await repository.create({ userId, title: `views ${views}`, category });
      await setViews(video!.id, views);
      made.push({ id: video!.id, views });
    }
    const expected = [...made]
      .sort((a, b) => b.views - a.views || (a.id < b.id ? -1 : 1))
      .map((video) => video.id);

    const popular = await repository.popular(category, 3);
    const overall = await repository.popular(undefined, 2);

    expect(popular.map((video) => video.id)).toEqual(expected.slice(0, 3));
    expect(overall.map((video) => video.id)).toEqual(expected.slice(0, 2));
    expect(await repository.popular('no-such-category', 20)).toEqual([]);
  });

  describe('search', () => {
    const category = `search-${kind}`;
    let ids: Record<string, string>;

    beforeAll(async () => {
      ids = {};
      const titles = {
        percent: 'Save 50% today',
        fiveHundred: 'Save 500 today',
        underscore: 'snake_case naming',
        noUnderscore: 'snakeXcase naming',
        backslash: 'C:\\Videos\\clip',
        star: 'Five * stars',
        caps: 'GUITAR Lessons',
      };
      for (const [name, title] of Object.entries(titles)) {
        ids[name] = (await repository.create({ userId, title, category }))!.id;
      }
      ids.inDescription = (await repository.create({
        userId,
        title: 'Untitled',
        description: 'a quiet guitar piece',
        category,
      }))!.id;
      await setViews(ids.caps, 10);
    });

    const search = async (q: string, page = 1, perPage = 20) => {
      const result = await repository.search({ q, category, page, perPage });
      return result.items.map((video) => video.id);
    };

    it('treats % literally', async () => {
      expect(await search('50%')).toEqual([ids.percent]);
    });

    it('treats _ literally', async () => {
      expect(await search('snake_case')).toEqual([ids.underscore]);
    });

    it('treats \\ literally', async () => {
      expect(await search('\\videos\\')).toEqual([ids.backslash]);
    });

    it('treats * literally', async () => {
      expect(await search('* stars')).toEqual([ids.star]);
      expect(await search('*')).toEqual([ids.star]);
    });

    it('matches title or description, case-insensitively, most viewed first', async () => {
      expect(await search('guitar')).toEqual([ids.caps, ids.inDescription]);
    });

    it('filters by category, pages, and counts the total', async () => {
      const everywhere = await repository.search({ q: 'save', page: 1, perPage: 1 });
      const inCategory = await repository.search({ q: 'save', category, page: 2, perPage: 1 });

      expect(everywhere.total).toBeGreaterThanOrEqual(2);
      expect(inCategory.total).toBe(2);
      expect(inCategory.items).toHaveLength(1);
      expect(await repository.search({ q: 'save', category: 'elsewhere', page: 1, perPage: 20 })).toEqual({
        items: [],
        total: 0,
      });
    });

    it('finds nothing for text that is nowhere', async () => {
      expect(await search('no such words anywhere')).toEqual([]);
    });
  });

  it('reads and sets the processing status; progress stays unless given', async () => {
    const video = await repository.create({ userId, title: 'Processing', category: 'music' });

    const processing = await repository.setStatus(video!.id, 'processing', 40);
    const failed = await repository.setStatus(video!.id, 'failed');

    expect(processing).toEqual({
      id: video!.id,
      status: 'processing',
      progress: 40,
      updatedAt: expect.any(Date),
    });
    expect(failed).toMatchObject({ status: 'failed', progress: 40 });
    expect(await repository.getStatus(video!.id)).toEqual(failed);
  });

  it('lists the categories in use, alphabetically', async () => {
    const owner = await freshUser();
    await repository.create({ userId: owner, title: 't', category: 'zzz-last' });
    await repository.create({ userId: owner, title: 't', category: 'aaa-first' });

    const categories = await repository.listCategories();

    expect(categories[0]).toBe('aaa-first');
    expect(categories.at(-1)).toBe('zzz-last');
    expect(new Set(categories).size).toBe(categories.length);
  });

  it.each(
    TRICKY_TEXTS.map((text) => [text.length > 40 ? `${text.slice(0, 20)}… (${text.length})` : text, text]),
  )('stores the title and description %j byte for byte', async (_label, text) => {
    const video = await repository.create({
      userId,
      title: text,
      description: text,
      category: 'text',
      format: text,
    });

    const found = await repository.findById(video!.id);

    expect(Buffer.from(found!.title).equals(Buffer.from(text))).toBe(true);
    expect(found!.description).toBe(text);
    expect(found!.format).toBe(text);
  });

  it('stores a category of 64 characters, emoji included, and no longer', async () => {
    const category = '🎵'.repeat(64);

    const video = await repository.create({ userId, title: 't', category });

    expect(video!.category).toBe(category);
    await expect(repository.create({ userId, title: 't', category: 'x'.repeat(65) })).rejects.toMatchObject({
      cause: { code: '22001' }, // string_data_right_truncation
    });
  });
});
