import type { TestApp } from './fixtures/app.js';
import { bearer, get } from './fixtures/http.js';
import { send, type Case } from './fixtures/inject.js';
import { useReplicaPair } from './fixtures/replicas.js';
import { bodyCases } from './fixtures/users-bad-bodies.js';
import { idCases, queryCases } from './fixtures/users-bad-input.js';
import { userFactory } from './fixtures/users.js';

describe.each(['pglite', 'postgres'] as const)('users, sessions and queues on %s', (database) => {
  let a: TestApp;
  useReplicaPair(database, (pair) => void ({ a } = pair));
  const { createUserWithToken } = userFactory(() => a);

  describe('bad input: always a 4xx naming the problem, never a 500', () => {
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
