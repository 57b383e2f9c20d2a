import { createHash } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { eq, sql } from 'drizzle-orm';
import type { Response as InjectResponse } from 'light-my-request';
import { decodeEntry } from '../src/cache/cache-codec.js';
import { HybridCacheService } from '../src/cache/index.js';
import {
  DomainEvent,
  type UserUpdatedEvent,
  type VideoDeletedEvent,
} from '../src/common/events/domain-events.js';
import { DRIZZLE, sessions, users, videos, type Database, type JsonValue } from '../src/database/index.js';
import { SessionsService } from '../src/users/sessions.service.js';
import { createReplicaPair, TEST_ADMIN_TOKEN, type TestApp } from './fixtures/app.js';
import { waitFor } from './fixtures/deferred.js';
import { rawClient } from './fixtures/redis.js';
import { TRICKY_JSON, TRICKY_TEXTS } from './fixtures/texts.js';

const MISS = 'vidcache; fwd=miss; stored';
const L1 = 'vidcache; hit; detail=l1';
const L2 = 'vidcache; hit; detail=l2';
const BYPASS = 'vidcache; fwd=bypass';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

const send = (t: TestApp, method: Method, url: string, payload?: unknown, headers?: Record<string, string>) =>
  t.app.inject({
    method,
    url,
    ...(payload === undefined
      ? { headers }
      : typeof payload === 'string'
        ? { payload, headers: { 'content-type': 'application/json', ...headers } }
        : { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } }),
  });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const get = (t: TestApp, url: string) => send(t, 'GET', url);
const cacheStatus = (res: InjectResponse) => res.headers['cache-status'];
/** Key order matters: an exact round trip keeps it, so compare serialized forms. */
const exactly = (value: unknown) => JSON.stringify(value);
const label = (text: string) =>
  text.length > 30 ? `${JSON.stringify(text.slice(0, 20))}… (${text.length})` : JSON.stringify(text);

const redis = rawClient();
afterAll(() => redis.quit());

describe.each(['pglite', 'postgres'] as const)('users, sessions and queues on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  let closeReplicas: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ a, b, close: closeReplicas } = await createReplicaPair(database));
  });
  afterAll(() => closeReplicas?.());

  /** The databases a direct change must reach so that both apps see it. */
  const databasesOf = () => (database === 'postgres' ? [a] : [a, b]).map((t) => t.app.get<Database>(DRIZZLE));

  /** Waits until B's L1 no longer holds the entry (the eviction reached it over the bus). */
  const evictedFromB = (namespace: string, key: readonly string[]) => {
    const cache = b.app.get(HybridCacheService);
    const full = cache.keyOf(namespace, key);
    return waitFor(() => !cache.inL1(full), 2_000);
  };

  let emails = 0;
  /** An address no other test of this file uses (emails are unique). */
  const uniqueEmail = () => `someone-${++emails}-${a.prefix}@example.com`;

  /** A new user on replica A: its id and its secret token. */
  const createUserWithToken = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await send(a, 'POST', '/users', { name, email: uniqueEmail(), ...extra });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string; token: string }>();
  };
  const createUser = async (name: string, extra: Record<string, unknown> = {}) =>
    (await createUserWithToken(name, extra)).id;

  describe('users', () => {
    it('GET /users/:id: a miss, an L1 hit, then another replica’s L2 hit, all identical', async () => {
      const first = await get(a, '/users/usr_000001');
      const second = await get(a, '/users/usr_000001');
      const other = await get(b, '/users/usr_000001');

      expect(first.statusCode).toBe(200);
      expect(cacheStatus(first)).toBe(MISS);
      expect(cacheStatus(second)).toBe(L1);
      expect(cacheStatus(other)).toBe(L2);
      expect(Object.keys(first.json()).sort()).toEqual(['createdAt', 'id', 'name', 'updatedAt']);
      expect(second.body).toBe(first.body);
      expect(other.body).toBe(first.body);
    });

    it('an unknown id is a 404, and that answer is cached briefly', async () => {
      const first = await get(a, '/users/usr_999999');
      const second = await get(a, '/users/usr_999999');

      expect(first.statusCode).toBe(404);
      expect(first.json().message).toBe('user usr_999999 not found');
      expect(cacheStatus(first)).toBe(MISS);
      expect(second.statusCode).toBe(404);
      expect(cacheStatus(second)).toBe(L1);
    });

    it('POST /users answers the whole profile; the public one is then read through the cache', async () => {
      const res = await send(a, 'POST', '/users', {
        name: 'New Person',
        email: 'new@example.com',
        settings: { a: 1 },
      });

      expect(res.statusCode).toBe(201);
      const created = res.json();
      expect(created).toMatchObject({ name: 'New Person', email: 'new@example.com', settings: { a: 1 } });
      expect(created.id).toMatch(/^usr_[0-9a-f-]{36}$/);
      expect(res.headers['cache-status']).toBeUndefined();
      const read = await get(a, `/users/${created.id}`);
      expect(cacheStatus(read)).toBe(MISS);
      expect(read.json()).toEqual({
        id: created.id,
        name: 'New Person',
        createdAt: created.createdAt,
        updatedAt: created.updatedAt,
      });
    });

    it('PATCH /users/:id evicts the profile: the next read on this replica and on another sees the change', async () => {
      await get(a, '/users/usr_000002');
      await get(b, '/users/usr_000002');
      expect(cacheStatus(await get(b, '/users/usr_000002'))).toBe(L1);
      const announced: UserUpdatedEvent[] = [];
      const listener = (event: UserUpdatedEvent) => void announced.push(event);
      a.app.get(EventEmitter2).on(DomainEvent.userUpdated, listener);

      const patch = await send(a, 'PATCH', '/users/usr_000002', { name: 'Renamed Two' });
      a.app.get(EventEmitter2).off(DomainEvent.userUpdated, listener);

      expect(patch.statusCode).toBe(200);
      expect(patch.json()).toMatchObject({ id: 'usr_000002', name: 'Renamed Two' });
      expect(announced).toEqual([{ userId: 'usr_000002' }]);
      if (database === 'postgres') {
        // One database: B, once the eviction reached it, loads the new profile itself.
        await evictedFromB('user', ['profile', 'usr_000002']);
        const fromB = await get(b, '/users/usr_000002');
        expect(fromB.json().name).toBe('Renamed Two');
        expect(cacheStatus(fromB)).toBe(MISS);
        expect(cacheStatus(await get(a, '/users/usr_000002'))).toBe(L2);
      } else {
        const fromA = await get(a, '/users/usr_000002');
        expect(fromA.json().name).toBe('Renamed Two');
        expect(cacheStatus(fromA)).toBe(MISS);
        await evictedFromB('user', ['profile', 'usr_000002']);
        const fromB = await get(b, '/users/usr_000002');
        expect(fromB.json().name).toBe('Renamed Two');
        expect(cacheStatus(fromB)).toBe(L2);
      }
    });

    it('emails are unique whatever their case: POST and PATCH answer 409 naming email, and change nothing', async () => {
      const email = `dup-${a.prefix}@example.com`;
      const first = await send(a, 'POST', '/users', { name: 'First', email });
      const other = await createUserWithToken('Other');
      const otherBefore = await send(a, 'GET', `/users/${other.id}`);

      const again = await send(a, 'POST', '/users', { name: 'Copy', email: email.toUpperCase() });
      const patched = await send(a, 'PATCH', `/users/${other.id}`, {
        name: 'Taken',
        email: `DUP-${email.slice(4)}`,
      });
      const ownCase = await send(a, 'PATCH', `/users/${first.json().id}`, {
        email: email.replace('dup', 'Dup'),
      });
      const otherAfter = await send(a, 'GET', `/users/${other.id}`);

      expect(first.statusCode).toBe(201);
      for (const res of [again, patched]) {
        expect(res.statusCode).toBe(409);
        expect(res.json().message).toMatch(/^email: /);
        expect(res.body.toLowerCase()).not.toContain(email);
      }
      expect(ownCase.statusCode).toBe(200);
      expect(otherAfter.json().name).toBe('Other');
      expect(otherAfter.body).toBe(otherBefore.body);
      const document = (await get(a, '/docs/json')).json<{
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      }>();
      expect(Object.keys(document.paths['/users']!.post!.responses)).toContain('409');
      expect(Object.keys(document.paths['/users/{id}']!.patch!.responses)).toContain('409');
    });

    it('PATCH of an unknown user is a 404 and evicts nothing else', async () => {
      await get(a, '/users/usr_000003');
      const res = await send(a, 'PATCH', '/users/usr_999998', { name: 'Nobody' });

      expect(res.statusCode).toBe(404);
      expect(res.json().message).toBe('user usr_999998 not found');
      expect(cacheStatus(await get(a, '/users/usr_000003'))).toBe(L1);
    });

    it('email and settings are never cached: ?include=private bypasses the cache, and no Redis value holds them', async () => {
      const email = `private-${a.prefix}@example.com`;
      const secret = `secret-setting-${a.prefix}`;
      const created = await send(a, 'POST', '/users', {
        name: 'Private Person',
        email,
        settings: { token: secret },
      });
      const { id, token } = created.json<{ id: string; token: string }>();
      const session = await send(a, 'POST', '/sessions', { userId: id }, bearer(token));
      const own = bearer(session.json<{ id: string }>().id);

      const publicRead = await get(a, `/users/${id}`);
      const privateRead = await send(a, 'GET', `/users/${id}?include=private`, undefined, own);
      const privateAgain = await send(a, 'GET', `/users/${id}?include=private`, undefined, own);
      const publicAgain = await get(a, `/users/${id}`);
      const patched = await send(a, 'PATCH', `/users/${id}`, { settings: { token: secret, more: true } });
      const afterPatch = await get(a, `/users/${id}`);
      const otherReplica = await send(b, 'GET', `/users/${id}?include=private`, undefined, own);

      expect(cacheStatus(publicRead)).toBe(MISS);
      expect(publicRead.body).not.toContain(email);
      expect(cacheStatus(privateRead)).toBe(BYPASS);
      expect(cacheStatus(privateAgain)).toBe(BYPASS);
      expect(privateRead.json()).toMatchObject({ id, email, settings: { token: secret } });
      expect(cacheStatus(publicAgain)).toBe(L1);
      expect(patched.json()).toMatchObject({ email, settings: { token: secret, more: true } });
      expect(cacheStatus(afterPatch)).toBe(MISS);
      expect(cacheStatus(otherReplica)).toBe(BYPASS);

      const leaks: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${a.prefix}:*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          const type = await redis.type(key);
          const texts: string[] = [];
          if (type === 'string') {
            const bytes = (await redis.getBuffer(key))!;
            texts.push(bytes.toString('latin1'), bytes.toString('utf8'));
            // Values above the compression threshold are deflated: look inside them too.
            const decoded = await decodeEntry(bytes).catch(() => undefined);
            if (decoded) texts.push(JSON.stringify(decoded.value));
          } else if (type === 'set') {
            texts.push(...(await redis.smembers(key)));
          }
          if (texts.some((text) => [email, secret, token].some((value) => text.includes(value))))
            leaks.push(key);
        }
      } while (cursor !== '0');
      expect(leaks).toEqual([]);
      // The public profile itself is in Redis: the scan did look at it.
      expect(await redis.exists(b.app.get(HybridCacheService).keyOf('user', ['profile', id]))).toBe(1);
    });

    describe('names round-trip exactly from every tier', () => {
      const accepted = TRICKY_TEXTS.filter((text) => text.length > 0 && [...text].length <= 200);
      const refused = TRICKY_TEXTS.filter((text) => !accepted.includes(text));

      it.each(accepted.map((text) => [label(text), text]))('%s', async (_label, name) => {
        const id = await createUser(name);
        const miss = await get(a, `/users/${id}`);
        const l1 = await get(a, `/users/${id}`);
        const l2 = await get(b, `/users/${id}`);

        expect([cacheStatus(miss), cacheStatus(l1), cacheStatus(l2)]).toEqual([MISS, L1, L2]);
        for (const res of [miss, l1, l2]) expect(res.json().name).toBe(name);
      });

      it('names that are empty or longer than 200 characters are refused with a 400 naming the field', async () => {
        expect(refused.length).toBeGreaterThan(0);
        for (const name of refused) {
          const res = await send(a, 'POST', '/users', { name, email: 'x@example.com' });
          expect(res.statusCode).toBe(400);
          expect(JSON.stringify(res.json().message)).toContain('name must be');
        }
      });
    });
  });

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

  describe('bad input: always a 4xx naming the problem, never a 500', () => {
    interface Case {
      name: string;
      method: Method;
      url: string;
      body?: unknown;
      headers?: Record<string, string>;
      status: number;
      /** Part of the message (for 400s: names the field). */
      message?: string;
    }

    const badIds = (
      prefix: string,
      parameter: string,
    ): { id: string; status: number; message?: string }[] => {
      const named = `${parameter} must be a`;
      return [
        { id: `${prefix}_*`, status: 400, message: named },
        { id: `${prefix}_?`, status: 400, message: named },
        { id: `${prefix}_[a]`, status: 400, message: named },
        { id: `${prefix}_:x`, status: 400, message: named },
        { id: `${prefix}_\\`, status: 400, message: named },
        { id: `${prefix}_%`, status: 400, message: named },
        { id: '\u0000', status: 400, message: named },
        { id: '../', status: 400, message: named },
        // A dot segment: the URL is normalized before routing (`/users/..` is `/`, which only
        // GET serves: see `dotSegment`).
        { id: '..', status: 404 },
        { id: `${prefix}_${'a'.repeat(65)}`, status: 400, message: named },
        { id: `${prefix === 'vid' ? 'usr' : 'vid'}_000001`, status: 400, message: named },
        // Longer than Fastify's maximum parameter length: refused before routing.
        { id: `${prefix}_${'a'.repeat(300)}`, status: 414 },
      ];
    };
    const enc = encodeURIComponent;

    const idCases: Case[] = [
      ...badIds('usr', 'id').flatMap(({ id, status, message }): Case[] => [
        { name: `GET /users/${id}`, method: 'GET', url: `/users/${enc(id)}`, status, message },
        {
          name: `PATCH /users/${id}`,
          method: 'PATCH',
          url: `/users/${enc(id)}`,
          body: { name: 'x' },
          status,
          message,
        },
        { name: `GET /users/${id}/queue`, method: 'GET', url: `/users/${enc(id)}/queue`, status, message },
        {
          name: `POST /users/${id}/queue`,
          method: 'POST',
          url: `/users/${enc(id)}/queue`,
          body: { videoId: 'vid_000001' },
          status,
          message,
        },
        {
          name: `DELETE /users/${id}/queue/vid_000001`,
          method: 'DELETE',
          url: `/users/${enc(id)}/queue/vid_000001`,
          status,
          message,
        },
      ]),
      ...badIds('vid', 'videoId').map(({ id, status, message }): Case => ({
        name: `DELETE /users/usr_000001/queue/${id}`,
        method: 'DELETE',
        url: `/users/usr_000001/queue/${enc(id)}`,
        status,
        message,
      })),
      ...badIds('ses', 'id').flatMap(({ id, status, message }): Case[] => [
        { name: `GET /sessions/${id}`, method: 'GET', url: `/sessions/${enc(id)}`, status, message },
        { name: `DELETE /sessions/${id}`, method: 'DELETE', url: `/sessions/${enc(id)}`, status, message },
      ]),
      { name: 'GET /users/ (empty id)', method: 'GET', url: '/users/', status: 404 },
      { name: 'GET /users//queue (empty id)', method: 'GET', url: '/users//queue', status: 404 },
      { name: 'DELETE /sessions/ (empty id)', method: 'DELETE', url: '/sessions/', status: 404 },
      {
        name: 'DELETE /users/usr_000001/queue/ (empty)',
        method: 'DELETE',
        url: '/users/usr_000001/queue/',
        status: 404,
      },
      { name: 'GET /users/<invalid UTF-8>', method: 'GET', url: '/users/%ED%A0%80', status: 400 },
    ];

    const user = { name: 'Valid', email: 'valid@example.com' };
    const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    const bodyCases: Case[] = [
      ...(
        [
          ['POST /users', 'POST', '/users'],
          ['PATCH /users/:id', 'PATCH', '/users/usr_000001'],
        ] as const
      ).flatMap(([name, method, url]): Case[] => [
        {
          name: `${name}: name is a number`,
          method,
          url,
          body: { ...user, name: 123 },
          status: 400,
          message: 'name must be',
        },
        {
          name: `${name}: name is null`,
          method,
          url,
          body: { ...user, name: null },
          status: 400,
          message: 'name must be',
        },
        {
          name: `${name}: name has NUL`,
          method,
          url,
          body: { ...user, name: 'a\u0000b' },
          status: 400,
          message: 'name must be',
        },
        {
          name: `${name}: name has a lone surrogate`,
          method,
          url,
          body: `{"name":"a\\ud800b","email":"valid@example.com"}`,
          status: 400,
          message: 'name must be',
        },
        {
          name: `${name}: name too long`,
          method,
          url,
          body: { ...user, name: 'n'.repeat(201) },
          status: 400,
          message: 'name must be',
        },
        {
          name: `${name}: email invalid`,
          method,
          url,
          body: { ...user, email: 'not-an-email' },
          status: 400,
          message: 'email must be',
        },
        {
          name: `${name}: email too long`,
          method,
          url,
          body: { ...user, email: `${'e'.repeat(320)}@example.com` },
          status: 400,
          message: 'email must be',
        },
        {
          name: `${name}: email is an array`,
          method,
          url,
          body: { ...user, email: ['a@b.co'] },
          status: 400,
          message: 'email must be',
        },
        {
          name: `${name}: settings is an array`,
          method,
          url,
          body: { ...user, settings: [1] },
          status: 400,
          message: 'settings must be',
        },
        {
          name: `${name}: settings is a string`,
          method,
          url,
          body: { ...user, settings: 'x' },
          status: 400,
          message: 'settings must be',
        },
        {
          name: `${name}: settings over 256 KiB`,
          method,
          url,
          body: { ...user, settings: { big: 's'.repeat(300_000) } },
          status: 400,
          message: 'settings must be',
        },
        {
          name: `${name}: settings nested 5,000 deep`,
          method,
          url,
          body: `{"name":"x","email":"a@b.co","settings":{"a":${deep(5_000)}}}`,
          status: 400,
          message: 'settings must not nest',
        },
        {
          name: `${name}: settings with a constructor key`,
          method,
          url,
          body: `{"name":"x","email":"a@b.co","settings":{"constructor":{"name":"x"}}}`,
          status: 400,
          message: 'settings must not contain',
        },
        {
          name: `${name}: extra field`,
          method,
          url,
          body: { ...user, admin: true },
          status: 400,
          message: 'property admin should not exist',
        },
        {
          name: `${name}: top-level constructor`,
          method,
          url,
          body: `{"constructor":1}`,
          status: 400,
          message: 'constructor must not contain',
        },
        {
          name: `${name}: JSON array`,
          method,
          url,
          body: '[{"name":"x"}]',
          status: 400,
          message: 'body must be a JSON object',
        },
        {
          name: `${name}: JSON string`,
          method,
          url,
          body: '"text"',
          status: 400,
          message: 'body must be a JSON object',
        },
        {
          name: `${name}: JSON null`,
          method,
          url,
          body: 'null',
          status: 400,
          message: 'body must be a JSON object',
        },
        { name: `${name}: not JSON`, method, url, body: '{"name": nope}', status: 400 },
        { name: `${name}: __proto__ key`, method, url, body: '{"__proto__":{"admin":true}}', status: 400 },
        { name: `${name}: no body`, method, url, status: 400, message: 'body must be a JSON object' },
        {
          name: `${name}: text/plain`,
          method,
          url,
          body: 'name=x',
          headers: { 'content-type': 'text/plain' },
          status: 415,
          message: 'body must be JSON, sent with content-type: application/json',
        },
        {
          name: `${name}: an unknown media type`,
          method,
          url,
          body: '<user/>',
          headers: { 'content-type': 'application/xml' },
          status: 415,
        },
        {
          name: `${name}: over BODY_LIMIT`,
          method,
          url,
          body: { ...user, name: 'n'.repeat(1_100_000) },
          status: 413,
        },
      ]),
      {
        name: 'POST /users: name missing',
        method: 'POST',
        url: '/users',
        body: { email: 'a@b.co' },
        status: 400,
        message: 'name must be',
      },
      {
        name: 'POST /users: email missing',
        method: 'POST',
        url: '/users',
        body: { name: 'x' },
        status: 400,
        message: 'email must be',
      },
      {
        name: 'POST /sessions: userId missing',
        method: 'POST',
        url: '/sessions',
        body: {},
        status: 400,
        message: 'userId must be',
      },
      {
        name: 'POST /sessions: userId is a pattern',
        method: 'POST',
        url: '/sessions',
        body: { userId: 'usr_*' },
        status: 400,
        message: 'userId must be a user id',
      },
      {
        name: 'POST /sessions: userId is a number',
        method: 'POST',
        url: '/sessions',
        body: { userId: 1 },
        status: 400,
        message: 'userId must be',
      },
      {
        name: 'POST /sessions: data over 256 KiB',
        method: 'POST',
        url: '/sessions',
        body: { userId: 'usr_000001', data: 'd'.repeat(300_000) },
        status: 400,
        message: 'data must be',
      },
      {
        name: 'POST /sessions: data nested 100,000 deep',
        method: 'POST',
        url: '/sessions',
        body: `{"userId":"usr_000001","data":${deep(100_000)}}`,
        status: 400,
        message: 'data must not nest',
      },
      {
        name: 'POST /sessions: extra field',
        method: 'POST',
        url: '/sessions',
        body: { userId: 'usr_000001', expiresAt: '2999-01-01' },
        status: 400,
        message: 'property expiresAt should not exist',
      },
      {
        name: 'POST /sessions: JSON array',
        method: 'POST',
        url: '/sessions',
        body: '[]',
        status: 400,
        message: 'body must be',
      },
      {
        name: 'POST /sessions: not JSON',
        method: 'POST',
        url: '/sessions',
        body: 'userId=usr_000001',
        status: 400,
      },
      {
        name: 'POST /sessions: over BODY_LIMIT',
        method: 'POST',
        url: '/sessions',
        body: { userId: 'usr_000001', data: 'd'.repeat(1_100_000) },
        status: 413,
      },
      {
        name: 'POST queue: videoId missing',
        method: 'POST',
        url: '/users/usr_000001/queue',
        body: {},
        status: 400,
        message: 'videoId must be',
      },
      {
        name: 'POST queue: videoId is a pattern',
        method: 'POST',
        url: '/users/usr_000001/queue',
        body: { videoId: 'vid_[a-z]*' },
        status: 400,
        message: 'videoId must be a video id',
      },
      {
        name: 'POST queue: videoId is an object',
        method: 'POST',
        url: '/users/usr_000001/queue',
        body: { videoId: { id: 'vid_000001' } },
        status: 400,
        message: 'videoId must be',
      },
      {
        name: 'POST queue: extra field',
        method: 'POST',
        url: '/users/usr_000001/queue',
        body: { videoId: 'vid_000001', position: 0 },
        status: 400,
        message: 'property position should not exist',
      },
      {
        name: 'POST queue: NUL in videoId',
        method: 'POST',
        url: '/users/usr_000001/queue',
        body: { videoId: 'vid_\u0000' },
        status: 400,
        message: 'videoId must be',
      },
      {
        name: 'POST queue: JSON array',
        method: 'POST',
        url: '/users/usr_000001/queue',
        body: '["vid_000001"]',
        status: 400,
        message: 'body must be',
      },
      {
        name: 'POST queue: over BODY_LIMIT',
        method: 'POST',
        url: '/users/usr_000001/queue',
        body: { videoId: 'v'.repeat(1_100_000) },
        status: 413,
      },
    ];

    const queryCases: Case[] = [
      {
        name: 'include=secret',
        method: 'GET',
        url: '/users/usr_000001?include=secret',
        status: 400,
        message: 'include must be',
      },
      {
        name: 'include twice',
        method: 'GET',
        url: '/users/usr_000001?include=private&include=private',
        status: 400,
        message: 'include must be',
      },
      {
        name: 'include with NUL',
        method: 'GET',
        url: '/users/usr_000001?include=%00',
        status: 400,
        message: 'include must be',
      },
      {
        name: 'unknown parameter',
        method: 'GET',
        url: '/users/usr_000001?admin=1',
        status: 400,
        message: 'property admin should not exist',
      },
      {
        name: 'include[]',
        method: 'GET',
        url: '/users/usr_000001?include[]=private',
        status: 400,
        message: 'should not exist',
      },
      {
        name: 'queue page=0',
        method: 'GET',
        url: '/users/usr_000001/queue?page=0',
        status: 400,
        message: 'page must not be less than 1',
      },
      {
        name: 'queue page=abc',
        method: 'GET',
        url: '/users/usr_000001/queue?page=abc',
        status: 400,
        message: 'page must be',
      },
      {
        name: 'queue page=1e309',
        method: 'GET',
        url: '/users/usr_000001/queue?page=1e309',
        status: 400,
        message: 'page must',
      },
      {
        name: 'queue page=-1',
        method: 'GET',
        url: '/users/usr_000001/queue?page=-1',
        status: 400,
        message: 'page must',
      },
      {
        name: 'queue perPage=101',
        method: 'GET',
        url: '/users/usr_000001/queue?perPage=101',
        status: 400,
        message: 'perPage must not be greater than 100',
      },
      {
        name: 'queue perPage=1.5',
        method: 'GET',
        url: '/users/usr_000001/queue?perPage=1.5',
        status: 400,
        message: 'perPage must be an integer',
      },
      {
        name: 'queue perPage twice',
        method: 'GET',
        url: '/users/usr_000001/queue?perPage=1&perPage=2',
        status: 400,
        message: 'perPage must',
      },
      {
        name: 'queue unknown parameter',
        method: 'GET',
        url: '/users/usr_000001/queue?sort=desc',
        status: 400,
        message: 'property sort should not exist',
      },
    ];

    // POST /sessions checks the token before the body: give those cases a valid one, so what they
    // test is the body.
    let token: { id: string; token: string };
    beforeAll(async () => {
      token = await createUserWithToken('Bad Input');
    });
    /** A URL ending in `/..` names `/` or `/users/<id>`: GET answers there, other methods are a 405. */
    const dotSegment = (c: Case) => (c.url.endsWith('/..') ? (c.method === 'GET' ? 200 : 405) : undefined);
    const authorized = (c: Case) =>
      c.method === 'POST' && c.url === '/sessions' ? { ...bearer(token.token), ...c.headers } : c.headers;

    it.each([...idCases, ...bodyCases, ...queryCases].map((c) => [c.name, c] as const))(
      '%s',
      async (_name, c) => {
        const res = await send(a, c.method, c.url, c.body, authorized(c));

        expect(res.statusCode).toBe(dotSegment(c) ?? c.status);
        if (c.message !== undefined) expect(JSON.stringify(res.json().message)).toContain(c.message);
      },
    );

    it('keeps serving afterwards', async () => {
      const user = await get(a, '/users/usr_000001');
      const queue = await get(a, '/users/usr_000001/queue');
      expect(user.statusCode).toBe(200);
      expect(user.json().id).toBe('usr_000001');
      expect(queue.statusCode).toBe(200);
      expect((await send(a, 'POST', '/sessions', { userId: token.id }, bearer(token.token))).statusCode).toBe(
        201,
      );
    });
  });
});
