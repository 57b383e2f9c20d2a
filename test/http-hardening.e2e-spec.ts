import { createTestApp, type TestApp } from './fixtures/app.js';

/** A JSON text nesting `depth` arrays (built as text: stringifying it would overflow the stack too). */
const deep = (depth: number) => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;

describe('request bodies the parser and validators must refuse cleanly', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database: 'postgres' });
  });
  afterAll(() => t.close());

  const post = (url: string, payload: string, method: 'POST' | 'PATCH' | 'PUT' = 'POST') =>
    t.app.inject({ method, url, payload, headers: { 'content-type': 'application/json' } });

  it.each([
    ['POST /videos', 'POST', '/videos'],
    ['PATCH /videos/:id', 'PATCH', '/videos/vid_000001'],
    ['POST /events', 'POST', '/events'],
    ['POST /users', 'POST', '/users'],
  ] as const)(
    '%s: a deeply nested body is a 400 naming the field, not a stack overflow',
    async (_, method, url) => {
      const response = await post(url, `{"title":${deep(5_000)}}`, method);
      expect(response.statusCode).toBe(400);
      expect(response.json().message).toMatch(/title must not nest deeper/);
    },
  );

  it('a __proto__ key is refused with a 400 that says why', async () => {
    const response = await post('/users', '{"name":"a","email":"a@example.com","__proto__":{"admin":true}}');
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/__proto__/);
  });

  it('a body that is not an object is a 400', async () => {
    for (const payload of ['[]', '"text"', 'null', '42']) {
      const response = await post('/events', payload);
      expect(response.statusCode).toBe(400);
    }
  });

  it('the service keeps serving afterwards', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/videos/vid_000001' });
    expect(response.statusCode).toBe(200);
  });
});
