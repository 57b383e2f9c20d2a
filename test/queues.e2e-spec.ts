import { EventEmitter2 } from '@nestjs/event-emitter';
import { eq } from 'drizzle-orm';
import { DomainEvent, type VideoDeletedEvent } from '../src/common/events/domain-events.js';
import { videos } from '../src/database/index.js';
import type { TestApp } from './fixtures/app.js';
import { cacheStatus, get, L1, L2, MISS } from './fixtures/http.js';
import { send } from './fixtures/inject.js';
import { useReplicaPair } from './fixtures/replicas.js';

describe.each(['pglite', 'postgres'] as const)('users, sessions and queues on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  const { databasesOf, evictedFromB } = useReplicaPair(database, (pair) => void ({ a, b } = pair));

  describe('processing queues', () => {
    const queueOf = async (t: TestApp, userId: string) => {
      const res = await get(t, `/users/${userId}/queue?perPage=100`);
      return { res, videoIds: (res.json().items as { videoId: string }[]).map((item) => item.videoId) };
    };

    it('GET /users/:id/queue: a miss, an L1 hit, another replica’s L2 hit', async () => {
      const miss = await get(a, '/users/usr_000006/queue');
      const l1 = await get(a, '/users/usr_000006/queue');
      const l2 = await get(b, '/users/usr_000006/queue');

      expect([cacheStatus(miss), cacheStatus(l1), cacheStatus(l2)]).toEqual([MISS, L1, L2]);
      expect(miss.json()).toEqual({ items: [], page: 1, perPage: 20, total: 0 });
      expect(l2.body).toBe(miss.body);
    });

    it('POST adds (201, then 200 when already queued) and DELETE removes; each evicts the queue everywhere', async () => {
      await get(a, '/users/usr_000007/queue');
      await get(b, '/users/usr_000007/queue');

      const added = await send(a, 'POST', '/users/usr_000007/queue', { videoId: 'vid_000010' });
      const again = await send(a, 'POST', '/users/usr_000007/queue', { videoId: 'vid_000010' });
      await send(a, 'POST', '/users/usr_000007/queue', { videoId: 'vid_000011' });

      expect(added.statusCode).toBe(201);
      expect(added.json()).toMatchObject({ userId: 'usr_000007', videoId: 'vid_000010' });
      expect(again.statusCode).toBe(200);
      expect(again.json().addedAt).toBe(added.json().addedAt);
      const afterAdd = await queueOf(a, 'usr_000007');
      expect(cacheStatus(afterAdd.res)).toBe(MISS);
      expect(afterAdd.videoIds).toEqual(['vid_000010', 'vid_000011']);
      const firstPage = await get(a, '/users/usr_000007/queue?page=2&perPage=1');
      expect(firstPage.json()).toMatchObject({
        page: 2,
        perPage: 1,
        total: 2,
        items: [{ videoId: 'vid_000011' }],
      });
      await evictedFromB('user', ['queue', 'usr_000007']);
      const onB = await queueOf(b, 'usr_000007');
      expect(onB.videoIds).toEqual(['vid_000010', 'vid_000011']);

      const removed = await send(a, 'DELETE', '/users/usr_000007/queue/vid_000010');
      const removedAgain = await send(a, 'DELETE', '/users/usr_000007/queue/vid_000010');

      expect(removed.statusCode).toBe(204);
      expect(removedAgain.statusCode).toBe(404);
      expect(removedAgain.json().message).toBe('video vid_000010 is not in the queue of user usr_000007');
      const afterRemove = await queueOf(a, 'usr_000007');
      expect(cacheStatus(afterRemove.res)).toBe(MISS);
      expect(afterRemove.videoIds).toEqual(['vid_000011']);
      await evictedFromB('user', ['queue', 'usr_000007']);
      expect((await queueOf(b, 'usr_000007')).videoIds).toEqual(['vid_000011']);
    });

    it('unknown users and videos are 404s naming what is missing', async () => {
      const list = await get(a, '/users/usr_999999/queue');
      const addForNobody = await send(a, 'POST', '/users/usr_999999/queue', { videoId: 'vid_000001' });
      const addNothing = await send(a, 'POST', '/users/usr_000001/queue', { videoId: 'vid_999999' });

      expect(list.statusCode).toBe(404);
      expect(list.json().message).toBe('user usr_999999 not found');
      expect(addForNobody.statusCode).toBe(404);
      expect(addForNobody.json().message).toBe('user usr_999999 not found');
      expect(addNothing.statusCode).toBe(404);
      expect(addNothing.json().message).toBe('videoId: video vid_999999 not found');
    });

    it('a video.deleted event evicts exactly the queues that held the video, on every replica', async () => {
      const deleted = 'vid_000150';
      for (const [userId, videoId] of [
        ['usr_000008', deleted],
        ['usr_000008', 'vid_000151'],
        ['usr_000009', deleted],
        ['usr_000010', 'vid_000152'],
      ]) {
        expect((await send(a, 'POST', `/users/${userId}/queue`, { videoId })).statusCode).toBe(201);
      }
      // Cached on both replicas (B's copies come from L2, with their tags).
      for (const userId of ['usr_000008', 'usr_000009', 'usr_000010']) {
        expect(cacheStatus((await queueOf(a, userId)).res)).toBe(MISS);
        expect(cacheStatus((await queueOf(b, userId)).res)).toBe(L2);
      }
      // The database cascade removes the queue rows; the cached queues do not know yet.
      for (const db of databasesOf()) await db.delete(videos).where(eq(videos.id, deleted));
      const before = await queueOf(a, 'usr_000008');
      expect(cacheStatus(before.res)).toBe(L1);
      expect(before.videoIds).toContain(deleted);

      const event: VideoDeletedEvent = { video: { id: deleted, userId: 'usr_000001', category: 'music' } };
      await a.app.get(EventEmitter2).emitAsync(DomainEvent.videoDeleted, event);

      const eight = await queueOf(a, 'usr_000008');
      const nine = await queueOf(a, 'usr_000009');
      const ten = await queueOf(a, 'usr_000010');
      expect(cacheStatus(eight.res)).toBe(MISS);
      expect(eight.videoIds).toEqual(['vid_000151']);
      expect(cacheStatus(nine.res)).toBe(MISS);
      expect(nine.videoIds).toEqual([]);
      expect(cacheStatus(ten.res)).toBe(L1);
      for (const userId of ['usr_000008', 'usr_000009']) {
        await evictedFromB('user', ['queue', userId]);
        expect((await queueOf(b, userId)).videoIds).not.toContain(deleted);
      }
      expect(cacheStatus((await queueOf(b, 'usr_000010')).res)).toBe(L1);
    });
  });
});
