import { TEST_ADMIN_TOKEN, type TestApp } from './fixtures/app.js';
import { L1, MISS } from './fixtures/http.js';
import { useReplicaPair } from './fixtures/replicas.js';

describe.each(['pglite', 'postgres'] as const)('POST /admin/cache/invalidate on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  useReplicaPair(database, (pair) => void ({ a, b } = pair));

  const invalidate = (t: TestApp, payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: '/admin/cache/invalidate',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
  const read = (t: TestApp, url: string) => t.app.inject({ method: 'GET', url });

  /** Reads the URL on both replicas until each answers it from its own L1. */
  async function inL1OnBoth(url: string): Promise<void> {
    await read(a, url);
    await read(b, url);
    expect((await read(a, url)).headers['cache-status']).toBe(L1);
    expect((await read(b, url)).headers['cache-status']).toBe(L1);
  }

  it.each([
    ['a bare id', 'vid_000002', 'keys.0.key must be a list'],
    ['a "namespace:id" string', 'video:vid_000002', 'keys.0.key must be a list'],
    ['a one-part list', ['vid_000002'], 'keys.0.key must be a list'],
    ['a list of an unknown kind', ['vid_000002', 'video'], 'keys.0.key must start with the kind of entry'],
    ['a boolean part', ['video', true], 'keys.0.key must be a list'],
  ])('refuses %s with a 400 naming the field, and evicts nothing', async (_label, key, message) => {
    await inL1OnBoth('/videos/vid_000002');

    const res = await invalidate(a, { keys: [{ namespace: 'video', key }] });

    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json().message)).toContain(message);
    expect((await read(a, '/videos/vid_000002')).headers['cache-status']).toBe(L1);
  });

  it('refuses a pattern of an unknown kind, naming it', async () => {
    const res = await invalidate(a, { patterns: [{ namespace: 'video', pattern: ['usr_000001', '*'] }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('patterns.0.pattern must start with the kind of entry');
  });

  it('the documented shape answers 200 only once done: the very next read on either replica is a miss', async () => {
    await inL1OnBoth('/videos/vid_000002');

    const res = await invalidate(b, { keys: [{ namespace: 'video', key: ['video', 'vid_000002'] }] });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      invalidated: { keys: 1, patterns: 0, tags: 0, namespace: null },
      replicas: { replicas: 1, confirmed: 1 },
    });
    // No waiting: a 2xx means every replica has already dropped it.
    expect((await read(a, '/videos/vid_000002')).headers['cache-status']).toBe(MISS);
    expect((await read(b, '/videos/vid_000002')).headers['cache-status']).not.toBe(L1);
  });

  it('a pattern in the documented shape reaches the other replica before the answer', async () => {
    await inL1OnBoth('/users/usr_000003/videos');

    const res = await invalidate(a, {
      patterns: [{ namespace: 'video', pattern: ['user-videos', 'usr_000003', '*'] }],
    });

    expect(res.statusCode).toBe(200);
    expect((await read(b, '/users/usr_000003/videos')).headers['cache-status']).toBe(MISS);
  });

  it('the OpenAPI example uses a namespace and key kinds that exist', async () => {
    const document = (await read(a, '/docs/json')).json<{
      components: { schemas: Record<string, { properties: Record<string, { example?: unknown }> }> };
    }>();
    const { KeySelectorDto: key, PatternSelectorDto: pattern } = document.components.schemas;

    expect(key!.properties.namespace!.example).toBe('video');
    expect(key!.properties.key!.example).toEqual(['video', 'vid_000042']);
    expect(pattern!.properties.namespace!.example).toBe('video');
    expect(pattern!.properties.pattern!.example).toEqual(['user-videos', 'usr_000001', '*']);
    const res = await invalidate(a, {
      keys: [{ namespace: 'video', key: key!.properties.key!.example }],
      patterns: [{ namespace: 'video', pattern: pattern!.properties.pattern!.example }],
    });
    expect(res.statusCode).toBe(200);
  });
});
