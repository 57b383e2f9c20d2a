import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from './fixtures/app.js';

const JSON_TYPE = { 'content-type': 'application/json' };

describe('HTTP answers that say what is wrong, and where things are', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database: 'postgres', env: { BODY_LIMIT: '4096' } });
  });
  afterAll(() => t.close());

  const inject = (options: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(options);

  describe('validation: one message per bad field', () => {
    it('POST /users {} names each missing field once', async () => {
      const res = await inject({ method: 'POST', url: '/users', payload: '{}', headers: JSON_TYPE });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toEqual(['name must be a string', 'email must be a string']);
    });

    it('?page=abc is one message, not three that contradict each other', async () => {
      const res = await inject({ method: 'GET', url: '/users/usr_000001/queue?page=abc' });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toEqual(['page must be an integer number']);
    });

    it('a nested field is named by its path', async () => {
      const res = await inject({
        method: 'POST',
        url: '/admin/cache/invalidate',
        payload: JSON.stringify({ keys: [{ namespace: 'video', key: 1 }] }),
        headers: { ...JSON_TYPE, authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toHaveLength(1);
      expect(res.json().message[0]).toMatch(/^keys\.0\.key must be a list/);
    });
  });

  it.each([
    ['text/plain', 'name=x'],
    ['application/x-www-form-urlencoded', 'name=x&email=a%40b.co'],
    ['application/xml', '<user/>'],
  ])('a %s body is a 415 that says JSON is expected', async (type, payload) => {
    const res = await inject({ method: 'POST', url: '/users', payload, headers: { 'content-type': type } });
    expect(res.statusCode).toBe(415);
    expect(res.json().message).toContain('content-type: application/json');
    expect(res.json().message).toContain(type);
  });

  it('an oversized body is a 413 that states the limit', async () => {
    const res = await inject({
      method: 'POST',
      url: '/users',
      payload: JSON.stringify({ name: 'n'.repeat(5_000), email: 'a@b.co' }),
      headers: JSON_TYPE,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toContain('limit of 4096 bytes');
  });

  it.each([
    ['DELETE', '/users/usr_000001', 'GET, HEAD, PATCH'],
    ['PUT', '/sessions', 'POST'],
    ['POST', '/videos/popular', 'GET, HEAD'],
  ] as const)('%s %s is a 405 with Allow: %s', async (method, url, allow) => {
    const res = await inject({ method, url });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.json().message).toContain(`${method} is not allowed`);
  });

  it('an unknown path stays a 404', async () => {
    expect((await inject({ method: 'GET', url: '/nothing/here' })).statusCode).toBe(404);
  });

  it('GET / points to the documentation', async () => {
    const res = await inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ docs: '/docs', openapi: '/docs/json' });
    expect(res.headers.link).toContain('</docs>');
  });

  it('every 201 carries the Location of what it created, and that URL answers', async () => {
    const user = await inject({
      method: 'POST',
      url: '/users',
      payload: JSON.stringify({ name: 'Located', email: `located-${t.prefix}@example.com` }),
      headers: JSON_TYPE,
    });
    const { id, token } = user.json<{ id: string; token: string }>();
    const session = await inject({
      method: 'POST',
      url: '/sessions',
      payload: JSON.stringify({ userId: id }),
      headers: { ...JSON_TYPE, authorization: `Bearer ${token}` },
    });
    const video = await inject({
      method: 'POST',
      url: '/videos',
      payload: JSON.stringify({ userId: id, title: 'Located video', category: 'music' }),
      headers: JSON_TYPE,
    });
    const queued = await inject({
      method: 'POST',
      url: `/users/${id}/queue`,
      payload: JSON.stringify({ videoId: video.json().id }),
      headers: JSON_TYPE,
    });
    const config = await inject({
      method: 'PUT',
      url: `/config/located.${t.prefix}`,
      payload: JSON.stringify({ value: 1 }),
      headers: { ...JSON_TYPE, authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });

    expect(user.headers.location).toBe(`/users/${id}`);
    expect(session.headers.location).toBe(`/sessions/${session.json().id}`);
    expect(video.headers.location).toBe(`/videos/${video.json().id}`);
    expect(queued.headers.location).toBe(`/users/${id}/queue/${video.json().id}`);
    expect(config.headers.location).toBe(`/config/located.${t.prefix}`);
    for (const res of [user, session, video, queued, config]) expect(res.statusCode).toBe(201);
    for (const res of [user, session, video, config]) {
      const read = await inject({ method: 'GET', url: res.headers.location as string });
      expect(read.statusCode).toBe(200);
    }
  });
});
