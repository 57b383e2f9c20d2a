import { EventEmitter2 } from '@nestjs/event-emitter';
import { decodeEntry } from '../src/cache/cache-codec.js';
import { HybridCacheService } from '../src/cache/index.js';
import { DomainEvent, type UserUpdatedEvent } from '../src/common/events/domain-events.js';
import type { TestApp } from './fixtures/app.js';
import { BYPASS, bearer, cacheStatus, get, L1, L2, label, MISS } from './fixtures/http.js';
import { send } from './fixtures/inject.js';
import { rawClient } from './fixtures/redis.js';
import { useReplicaPair } from './fixtures/replicas.js';
import { TRICKY_TEXTS } from './fixtures/texts.js';
import { userFactory } from './fixtures/users.js';

const redis = rawClient();
afterAll(() => redis.quit());

describe.each(['pglite', 'postgres'] as const)('users, sessions and queues on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  const { evictedFromB } = useReplicaPair(database, (pair) => void ({ a, b } = pair));
  const { createUserWithToken, createUser } = userFactory(() => a);

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
});
