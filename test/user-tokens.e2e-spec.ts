import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { HybridCacheService } from '../src/cache/index.js';
import { DRIZZLE, users, type Database } from '../src/database/index.js';
import { SessionsService } from '../src/users/sessions.service.js';
import { TEST_ADMIN_TOKEN, type TestApp } from './fixtures/app.js';
import { BYPASS, bearer, cacheStatus, get } from './fixtures/http.js';
import { send } from './fixtures/inject.js';
import { useReplicaPair } from './fixtures/replicas.js';
import { userFactory } from './fixtures/users.js';

describe.each(['pglite', 'postgres'] as const)('users, sessions and queues on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  const { evictedFromB } = useReplicaPair(database, (pair) => void ({ a, b } = pair));
  const { createUserWithToken } = userFactory(() => a);

  describe('user tokens and private fields', () => {
    const PUBLIC_KEYS = ['createdAt', 'id', 'name', 'updatedAt'];
    const PRIVATE_KEYS = ['createdAt', 'email', 'id', 'name', 'settings', 'updatedAt'];
    const readAs = (t: TestApp, userId: string, headers?: Record<string, string>) =>
      send(t, 'GET', `/users/${userId}?include=private`, undefined, headers);
    const openFor = async (user: { id: string; token: string }) => {
      const res = await send(a, 'POST', '/sessions', { userId: user.id }, bearer(user.token));
      expect(res.statusCode).toBe(201);
      return res.json<{ id: string }>().id;
    };

    it('POST /users answers a secret token once; only its SHA-256 is stored, and no read returns it', async () => {
      const user = await createUserWithToken('Token Holder');
      const sessionId = await openFor(user);

      expect(user.token).toMatch(/^utk_[A-Za-z0-9_-]{43}$/);
      const [row] = await a.app
        .get<Database>(DRIZZLE)
        .select({ tokenHash: users.tokenHash })
        .from(users)
        .where(eq(users.id, user.id));
      expect(row.tokenHash).toBe(createHash('sha256').update(user.token).digest('hex'));
      const reads = [await get(a, `/users/${user.id}`), await readAs(a, user.id, bearer(sessionId))];
      for (const res of reads) {
        expect(res.statusCode).toBe(200);
        expect(res.body).not.toContain(user.token);
        expect(res.body).not.toContain(row.tokenHash!);
      }
      expect(Object.keys(reads[1].json()).sort()).toEqual(PRIVATE_KEYS);
    });

    it('POST /sessions: 401 without a token or with a token of nobody, 403 with another user’s, 201 with the user’s own', async () => {
      const alice = await createUserWithToken('Alice');
      const bob = await createUserWithToken('Bob');

      const none = await send(a, 'POST', '/sessions', { userId: alice.id });
      const wrong = await send(a, 'POST', '/sessions', { userId: alice.id }, bearer(`${alice.token}x`));
      const basic = await send(a, 'POST', '/sessions', { userId: alice.id }, { authorization: alice.token });
      const adminToken = await send(a, 'POST', '/sessions', { userId: alice.id }, bearer(TEST_ADMIN_TOKEN));
      const bobs = await send(a, 'POST', '/sessions', { userId: alice.id }, bearer(bob.token));
      const seeded = await send(a, 'POST', '/sessions', { userId: 'usr_000001' }, bearer(bob.token));
      const own = await send(a, 'POST', '/sessions', { userId: alice.id }, bearer(alice.token));

      for (const res of [none, basic]) {
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="vidcache-user"');
        expect(res.json().message).toContain('a user token is required');
      }
      for (const res of [wrong, adminToken]) {
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="vidcache-user", error="invalid_token"');
        expect(res.body).not.toContain(alice.token);
      }
      expect(bobs.statusCode).toBe(403);
      expect(bobs.json().message).toBe(`userId: the token does not belong to user ${alice.id}`);
      expect(bobs.body).not.toContain(bob.token);
      expect(seeded.statusCode).toBe(403);
      expect(own.statusCode).toBe(201);
      expect(own.json().userId).toBe(alice.id);
    });

    it('?include=private reveals email and settings only with one of the user’s own sessions', async () => {
      const alice = await createUserWithToken('Alice Private', { settings: { theme: 'dark' } });
      const bob = await createUserWithToken('Bob Private');
      const alices = await openFor(alice);
      const bobs = await openFor(bob);

      const anonymous = await readAs(a, alice.id);
      const withBobsSession = await readAs(a, alice.id, bearer(bobs));
      const withAlicesToken = await readAs(a, alice.id, bearer(alice.token));
      const withUnknownSession = await readAs(
        a,
        alice.id,
        bearer('ses_ffffffff-0000-0000-0000-000000000000'),
      );
      const withAdminToken = await readAs(a, alice.id, bearer(TEST_ADMIN_TOKEN));
      const withOwnSession = await readAs(a, alice.id, bearer(alices));

      for (const res of [anonymous, withBobsSession, withAlicesToken, withUnknownSession, withAdminToken]) {
        expect(res.statusCode).toBe(200);
        expect(Object.keys(res.json()).sort()).toEqual(PUBLIC_KEYS);
        expect(res.body).not.toContain('dark');
      }
      expect(withOwnSession.statusCode).toBe(200);
      expect(withOwnSession.json()).toMatchObject({ id: alice.id, settings: { theme: 'dark' } });
      expect(cacheStatus(withOwnSession)).toBe(BYPASS);
    });

    it('the OpenAPI document has a bearer scheme each for user tokens and sessions, apart from the admin token', async () => {
      const document = (await get(a, '/docs/json')).json<{
        components: { securitySchemes: Record<string, { type: string; scheme: string }> };
        paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
      }>();

      for (const name of ['admin-token', 'user-token', 'session']) {
        expect(document.components.securitySchemes[name]).toMatchObject({ type: 'http', scheme: 'bearer' });
      }
      expect(document.paths['/sessions']!.post!.security).toEqual([{ 'user-token': [] }]);
      // Optional: without a session the public profile is answered.
      expect(document.paths['/users/{id}']!.get!.security).toEqual(
        expect.arrayContaining([{ session: [] }, {}]),
      );
      expect(document.paths['/admin/cache/stats']!.get!.security).toEqual([{ 'admin-token': [] }]);
      expect(document.paths['/config/{key}']!.put!.security).toEqual([{ 'admin-token': [] }]);
    });

    it('a session is resolved through the cache, and its DELETE revokes it here at once and on the other replica', async () => {
      const user = await createUserWithToken('Revoked');
      const sessionId = await openFor(user);
      const cacheA = a.app.get(HybridCacheService);
      const sessionEntry = cacheA.keyOf('session', ['session', sessionId]);

      const before = await readAs(a, user.id, bearer(sessionId));
      expect(cacheA.inL1(sessionEntry)).toBe(true);
      // B resolves the session too (from L2, where A's lookup stored it), so it holds it in its L1.
      expect(await b.app.get(SessionsService).ownerOf(sessionId)).toBe(user.id);
      const deleted = await send(a, 'DELETE', `/sessions/${sessionId}`);
      const after = await readAs(a, user.id, bearer(sessionId));

      expect(Object.keys(before.json()).sort()).toEqual(PRIVATE_KEYS);
      expect(deleted.statusCode).toBe(204);
      expect(after.statusCode).toBe(200);
      expect(Object.keys(after.json()).sort()).toEqual(PUBLIC_KEYS);
      await evictedFromB('session', ['session', sessionId]);
      expect(await b.app.get(SessionsService).ownerOf(sessionId)).toBeNull();
    });
  });
});
