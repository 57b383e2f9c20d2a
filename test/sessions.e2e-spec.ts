import { eq, sql } from 'drizzle-orm';
import { HybridCacheService } from '../src/cache/index.js';
import { sessions, type JsonValue } from '../src/database/index.js';
import type { TestApp } from './fixtures/app.js';
import { bearer, cacheStatus, exactly, get, L1, L2, label, MISS } from './fixtures/http.js';
import { send } from './fixtures/inject.js';
import { useReplicaPair } from './fixtures/replicas.js';
import { TRICKY_JSON, TRICKY_TEXTS } from './fixtures/texts.js';
import { userFactory } from './fixtures/users.js';

describe.each(['pglite', 'postgres'] as const)('users, sessions and queues on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  const { databasesOf, evictedFromB } = useReplicaPair(database, (pair) => void ({ a, b } = pair));
  const { createUserWithToken } = userFactory(() => a);

  describe('sessions', () => {
    let owner: { id: string; token: string };
    beforeAll(async () => {
      owner = await createUserWithToken('Session Owner');
    });

    const openSession = async (data?: JsonValue) => {
      const res = await send(
        a,
        'POST',
        '/sessions',
        data === undefined ? { userId: owner.id } : { userId: owner.id, data },
        bearer(owner.token),
      );
      expect(res.statusCode).toBe(201);
      return res.json<{ id: string; data: JsonValue; expiresAt: string }>();
    };

    it('POST then GET /sessions/:id: a miss, an L1 hit, another replica’s L2 hit', async () => {
      const created = await openSession({ cart: ['vid_000001'] });
      expect(created.id).toMatch(/^ses_[0-9a-f-]{36}$/);
      expect(created.data).toEqual({ cart: ['vid_000001'] });
      expect(Date.parse(created.expiresAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);

      const miss = await get(a, `/sessions/${created.id}`);
      const l1 = await get(a, `/sessions/${created.id}`);
      const l2 = await get(b, `/sessions/${created.id}`);

      expect([cacheStatus(miss), cacheStatus(l1), cacheStatus(l2)]).toEqual([MISS, L1, L2]);
      for (const res of [miss, l1, l2]) expect(res.json()).toEqual(created);
    });

    it('defaults data to {} and keeps null as null', async () => {
      expect((await openSession()).data).toEqual({});
      const withNull = await openSession(null);
      expect(withNull.data).toBeNull();
      expect((await get(a, `/sessions/${withNull.id}`)).json().data).toBeNull();
    });

    it('DELETE /sessions/:id evicts it here and on the other replica; a second DELETE is a 404', async () => {
      const { id } = await openSession();
      await get(a, `/sessions/${id}`);
      await get(b, `/sessions/${id}`);

      const deleted = await send(a, 'DELETE', `/sessions/${id}`);
      const again = await send(a, 'DELETE', `/sessions/${id}`);

      expect(deleted.statusCode).toBe(204);
      expect(deleted.body).toBe('');
      expect(again.statusCode).toBe(404);
      const fromA = await get(a, `/sessions/${id}`);
      expect(fromA.statusCode).toBe(404);
      expect(cacheStatus(fromA)).toBe(MISS);
      await evictedFromB('session', ['session', id]);
      const fromB = await get(b, `/sessions/${id}`);
      expect(fromB.statusCode).toBe(404);
      expect(cacheStatus(fromB)).not.toBe(L1);
    });

    it('a cached session that has expired since is a 404, and is evicted', async () => {
      const { id } = await openSession();
      expect((await get(a, `/sessions/${id}`)).statusCode).toBe(200);
      // The cache entry still says "live": only the expiry check on read can refuse it.
      for (const db of databasesOf()) {
        await db
          .update(sessions)
          .set({ expiresAt: sql`now() - interval '1 second'` })
          .where(eq(sessions.id, id));
      }
      const cached = await a.app.get(HybridCacheService).get<{ expiresAt: Date }>('session', ['session', id]);
      expect(cached).toBeDefined();
      const stale = { ...cached!, expiresAt: new Date(Date.now() - 1_000) };
      await a.app.get(HybridCacheService).set('session', ['session', id], stale);

      const res = await get(a, `/sessions/${id}`);

      expect(res.statusCode).toBe(404);
      expect(await a.app.get(HybridCacheService).get('session', ['session', id])).toBeUndefined();
    });

    it('a token of another user (here: for an unknown user) is a 403 naming userId', async () => {
      const res = await send(a, 'POST', '/sessions', { userId: 'usr_999999' }, bearer(owner.token));
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toBe('userId: the token does not belong to user usr_999999');
    });

    it('an unknown session is a 404', async () => {
      const res = await get(a, '/sessions/ses_00000000-0000-0000-0000-000000000000');
      expect(res.statusCode).toBe(404);
      expect(cacheStatus(res)).toBe(MISS);
    });

    describe('session data round-trips exactly from every tier', () => {
      const accepted = TRICKY_JSON.filter((value) => !exactly(value).includes('__proto__'));
      const cases: [string, JsonValue][] = [
        ...TRICKY_TEXTS.map((text): [string, JsonValue] => [`text ${label(text)}`, text]),
        ...accepted.map((value): [string, JsonValue] => [`json ${exactly(value).slice(0, 40)}`, value]),
      ];

      it.each(cases)('%s', async (_label, data) => {
        const { id } = await openSession(data);
        const miss = await get(a, `/sessions/${id}`);
        const l1 = await get(a, `/sessions/${id}`);
        const l2 = await get(b, `/sessions/${id}`);

        expect([cacheStatus(miss), cacheStatus(l1), cacheStatus(l2)]).toEqual([MISS, L1, L2]);
        for (const res of [miss, l1, l2]) expect(exactly(res.json().data)).toBe(exactly(data));
      });

      it('a document with keys named __proto__ or constructor is refused with a 400, never silently changed', async () => {
        const body = `{"userId":"${owner.id}","data":{"__proto__":"own key","constructor":"also own"}}`;
        const res = await send(a, 'POST', '/sessions', body, bearer(owner.token));
        expect(res.statusCode).toBe(400);
        const constructorOnly = await send(
          a,
          'POST',
          '/sessions',
          `{"userId":"${owner.id}","data":{"constructor":1}}`,
          bearer(owner.token),
        );
        expect(constructorOnly.statusCode).toBe(400);
        expect(constructorOnly.json().message).toContain('data must not contain keys named');
      });
    });
  });
});
