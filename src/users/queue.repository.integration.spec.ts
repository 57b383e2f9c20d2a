import { DATABASE_KINDS, openTestDatabase, type OpenTestDatabase } from '../../test/fixtures/database.js';
import { VideosRepository } from '../videos/videos.repository.js';
import { QueueRepository } from './queue.repository.js';
import { UsersRepository } from './users.repository.js';

describe.each(DATABASE_KINDS)('QueueRepository on %s', (kind) => {
  let database: OpenTestDatabase;
  let repository: QueueRepository;
  let users: UsersRepository;
  let videos: VideosRepository;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    repository = new QueueRepository(database.db);
    users = new UsersRepository(database.db);
    videos = new VideosRepository(database.db);
  });

  afterAll(() => database?.close());

  let owners = 0;
  async function userWithVideos(count: number): Promise<{ userId: string; videoIds: string[] }> {
    const user = await users.create({ name: 'Queue owner', email: `q${++owners}@example.com` });
    const videoIds: string[] = [];
    for (let i = 0; i < count; i++) {
      videoIds.push((await videos.create({ userId: user.id, title: `video ${i}`, category: 'music' }))!.id);
    }
    return { userId: user.id, videoIds };
  }

  it('adds a video, then answers already-queued without moving it', async () => {
    const { userId, videoIds } = await userWithVideos(1);

    const first = await repository.add(userId, videoIds[0]);
    const second = await repository.add(userId, videoIds[0]);

    expect(first).toEqual({
      status: 'added',
      item: { userId, videoId: videoIds[0], addedAt: expect.any(Date) },
    });
    expect(second).toEqual({
      status: 'already-queued',
      item: first.status === 'added' ? first.item : undefined,
    });
    expect(await repository.list(userId)).toHaveLength(1);
  });

  it('lists in the order videos were added; a removed and re-added video goes to the end', async () => {
    const { userId, videoIds } = await userWithVideos(3);
    for (const videoId of videoIds) await repository.add(userId, videoId);

    expect(await repository.remove(userId, videoIds[0])).toBe(true);
    await repository.add(userId, videoIds[0]);

    const list = await repository.list(userId);
    expect(list!.map((item) => item.videoId)).toEqual([videoIds[1], videoIds[2], videoIds[0]]);
  });

  it('adds concurrently without duplicates', async () => {
    const { userId, videoIds } = await userWithVideos(1);

    const results = await Promise.all(Array.from({ length: 10 }, () => repository.add(userId, videoIds[0])));

    expect(results.filter((result) => result.status === 'added')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'already-queued')).toHaveLength(9);
  });

  it('tells an unknown user from an unknown video', async () => {
    const { userId, videoIds } = await userWithVideos(1);

    expect(await repository.add('usr_unknown', videoIds[0])).toEqual({ status: 'unknown-user' });
    expect(await repository.add(userId, 'vid_unknown')).toEqual({ status: 'unknown-video' });
    expect(await repository.add('usr_unknown', 'vid_unknown')).toEqual({ status: 'unknown-user' });
  });

  it('lists an empty queue as [] and an unknown user as null', async () => {
    const { userId } = await userWithVideos(0);

    expect(await repository.list(userId)).toEqual([]);
    expect(await repository.list('usr_unknown')).toBeNull();
  });

  it('removes only what is there', async () => {
    const { userId, videoIds } = await userWithVideos(1);

    expect(await repository.remove(userId, videoIds[0])).toBe(false);
    expect(await repository.remove('usr_unknown', videoIds[0])).toBe(false);
  });

  it('drops the queue entry when its video is deleted', async () => {
    const { userId, videoIds } = await userWithVideos(2);
    await repository.add(userId, videoIds[0]);
    await repository.add(userId, videoIds[1]);

    await videos.delete(videoIds[0]);

    expect((await repository.list(userId))!.map((item) => item.videoId)).toEqual([videoIds[1]]);
  });
});
