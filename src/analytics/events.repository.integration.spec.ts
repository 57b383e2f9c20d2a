import { and, eq } from 'drizzle-orm';
import { DATABASE_KINDS, openTestDatabase, type OpenTestDatabase } from '../../test/fixtures/database.js';
import { events, type EventType } from '../database/index.js';
import { UsersRepository } from '../users/users.repository.js';
import { VideosRepository } from '../videos/videos.repository.js';
import { EventsRepository } from './events.repository.js';

describe.each(DATABASE_KINDS)('EventsRepository on %s', (kind) => {
  let database: OpenTestDatabase;
  let repository: EventsRepository;
  let videos: VideosRepository;
  let userId: string;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    repository = new EventsRepository(database.db);
    videos = new VideosRepository(database.db);
    userId = (await new UsersRepository(database.db).create({ name: 'Viewer', email: 'v@example.com' })).id;
  });

  afterAll(() => database?.close());

  const newVideo = async () => (await videos.create({ userId, title: 'Watched', category: 'music' }))!.id;

  it('records an event and bumps the matching counter', async () => {
    const videoId = await newVideo();

    const view = await repository.record('view', videoId, userId);
    const like = await repository.record('like', videoId, userId);
    const share = await repository.record('share', videoId, userId);

    expect(view).toEqual({
      status: 'recorded',
      event: { id: expect.any(Number), type: 'view', videoId, userId, createdAt: expect.any(Date) },
      counters: { viewCount: 1, likeCount: 0, shareCount: 0 },
    });
    expect(like).toMatchObject({ counters: { viewCount: 1, likeCount: 1, shareCount: 0 } });
    expect(share).toMatchObject({ counters: { viewCount: 1, likeCount: 1, shareCount: 1 } });
    expect(await videos.findById(videoId)).toMatchObject({ viewCount: 1, likeCount: 1, shareCount: 1 });
  });

  it('changes nothing for an unknown video or user', async () => {
    const videoId = await newVideo();

    expect(await repository.record('view', 'vid_unknown', userId)).toEqual({ status: 'unknown-video' });
    expect(await repository.record('view', videoId, 'usr_unknown')).toEqual({ status: 'unknown-user' });
    expect(await videos.findById(videoId)).toMatchObject({ viewCount: 0 });
    expect(await database.db.$count(events, eq(events.videoId, videoId))).toBe(0);
  });

  it('keeps the counters equal to the events under concurrent recording', async () => {
    const videoId = await newVideo();
    const types = ['view', 'view', 'like', 'view', 'share'] as const;

    await Promise.all(
      Array.from({ length: 40 }, (_, i) => repository.record(types[i % types.length], videoId, userId)),
    );

    const countOf = (type: EventType) =>
      database.db.$count(events, and(eq(events.videoId, videoId), eq(events.type, type)));
    expect(await videos.findById(videoId)).toMatchObject({
      viewCount: await countOf('view'),
      likeCount: await countOf('like'),
      shareCount: await countOf('share'),
    });
    expect(await videos.findById(videoId)).toMatchObject({ viewCount: 24, likeCount: 8, shareCount: 8 });
  });
});
