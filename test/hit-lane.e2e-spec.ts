import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HitLane, HybridCacheService } from '../src/cache/index.js';
import { VideosService } from '../src/videos/videos.service.js';
import { createTestApp, type TestApp } from './fixtures/app.js';
import { untilHeard } from './fixtures/http.js';

const L1_HIT = 'vidcache; hit; detail=l1';
/** Headers whose values differ from one request to the next whatever path answered. */
const PER_REQUEST = new Set(['x-request-id', 'x-ratelimit-remaining', 'date']);

const sameFor = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_REQUEST.has(name)));

/**
 * The hit lane (src/cache/hit-lane.ts): `GET /videos/:id` answered from L1 by a Fastify hook,
 * before Nest's pipeline, on the real app with real Redis and PostgreSQL. What it sends must be
 * what the handler sends, and whatever it does not answer must reach the handler counted once.
 */
describe('the hit lane answers L1 hits of GET /videos/:id before the pipeline', () => {
  let service: TestApp;
  let app: NestFastifyApplication;
  let findById: jest.SpiedFunction<VideosService['findById']>;
  const videoStats = () => app.get(HybridCacheService).stats().namespaces.video!;
  const get = async (url: string, more: { headers?: Record<string, string>; payload?: string } = {}) => {
    await untilHeard(app); // a deaf replica serves no L1 (see fixtures/http.ts)
    return app.inject({ method: 'GET', url, ...more });
  };

  beforeAll(async () => {
    service = await createTestApp({ database: 'postgres' });
    app = service.app;
    // The handler calls the service; the lane does not. (Spied after the cache wrapped it.)
    findById = jest.spyOn(app.get(VideosService), 'findById');
  });
  afterAll(() => service?.close());
  beforeEach(() => findById.mockClear());

  it('is installed on the route, and only there', () => {
    expect(app.get(HitLane).servedRoutes).toEqual(['GET /videos/:id']);
  });

  it('sends what the handler sends for the same hit: status, headers and body bytes', async () => {
    const url = '/videos/vid_000011';
    expect((await get(url)).headers['cache-status']).toBe('vidcache; fwd=miss; stored');
    findById.mockClear();

    const lane = await get(url);
    expect(findById).not.toHaveBeenCalled();
    // A request with a body never takes the lane (the guards that read bodies run in the pipeline).
    const handler = await get(url, { headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(findById).toHaveBeenCalledTimes(1);

    for (const response of [lane, handler]) {
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-status']).toBe(L1_HIT);
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers['x-ratelimit-remaining']).toMatch(/^\d+$/);
    }
    expect(sameFor(lane.headers)).toEqual(sameFor(handler.headers));
    expect(lane.rawPayload.equals(handler.rawPayload)).toBe(true);
    expect(JSON.parse(lane.body)).toMatchObject({ id: 'vid_000011' });
  });

  it('counts a lane hit once, and leaves a miss to the handler, which counts it once', async () => {
    const url = '/videos/vid_000012';
    const before = videoStats();
    const miss = await get(url);
    const afterMiss = videoStats();
    expect(miss.headers['cache-status']).toBe('vidcache; fwd=miss; stored');
    expect(findById).toHaveBeenCalledTimes(1);
    expect(afterMiss.l1.misses - before.l1.misses).toBe(1);
    expect(afterMiss.l1.hits - before.l1.hits).toBe(0);

    findById.mockClear();
    const hit = await get(url);
    const afterHit = videoStats();
    expect(hit.headers['cache-status']).toBe(L1_HIT);
    expect(findById).not.toHaveBeenCalled();
    expect(afterHit.l1.hits - afterMiss.l1.hits).toBe(1);
    expect(afterHit.l1.misses - afterMiss.l1.misses).toBe(0);
  });

  it('leaves a cached unknown id (404) and a malformed id (400) to the handler', async () => {
    const unknown = '/videos/vid_no-such-video';
    expect((await get(unknown)).statusCode).toBe(404);
    findById.mockClear();
    const before = videoStats();
    const cached404 = await get(unknown);
    expect(cached404.statusCode).toBe(404);
    expect(cached404.headers['cache-status']).toBe(L1_HIT);
    expect(findById).toHaveBeenCalledTimes(1);
    // The lane looked without counting: the handler's read is the one counted.
    expect(videoStats().l1.hits - before.l1.hits).toBe(1);

    findById.mockClear();
    const malformed = await get('/videos/vid_*');
    expect(malformed.statusCode).toBe(400);
    expect(JSON.parse(malformed.body).message).toMatch(/id must be a video id/);
    expect(findById).not.toHaveBeenCalled();
  });

  it('never answers a stale read after a write: an update evicts, the next read goes to the handler', async () => {
    const url = '/videos/vid_000013';
    await get(url);
    expect((await get(url)).headers['cache-status']).toBe(L1_HIT);
    const patched = await app.inject({
      method: 'PATCH',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ title: 'Renamed while cached' }),
    });
    expect(patched.statusCode).toBe(200);
    findById.mockClear();
    const after = await get(url);
    expect(findById).toHaveBeenCalledTimes(1);
    expect(after.headers['cache-status']).not.toBe(L1_HIT);
    expect(JSON.parse(after.body).title).toBe('Renamed while cached');
    findById.mockClear();
    const again = await get(url);
    expect(findById).not.toHaveBeenCalled();
    expect(JSON.parse(again.body).title).toBe('Renamed while cached');
  });

  it('answers HEAD with the GET headers and no body', async () => {
    const url = '/videos/vid_000014';
    await get(url);
    const head = await app.inject({ method: 'HEAD', url });
    expect(head.statusCode).toBe(200);
    expect(head.headers['cache-status']).toBe(L1_HIT);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBe((await get(url)).rawPayload.length);
  });
});

describe('the hit lane and the rate limit', () => {
  let service: TestApp;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    service = await createTestApp({ database: 'postgres', env: { RATE_LIMIT_MAX: '4' } });
    app = service.app;
  });
  afterAll(() => service?.close());

  it('counts each request once, lane or handler, and answers the 429 with Retry-After from the same count', async () => {
    // Each inject comes from the same client address: one budget of 4 across every route.
    const url = '/videos/vid_000021';
    const first = await app.inject({ method: 'GET', url });
    expect(first.headers['cache-status']).toBe('vidcache; fwd=miss; stored');
    const remaining = [first.headers['x-ratelimit-remaining']];
    for (let i = 0; i < 2; i++) {
      const hit = await app.inject({ method: 'GET', url });
      expect(hit.headers['cache-status']).toBe(L1_HIT);
      remaining.push(hit.headers['x-ratelimit-remaining']);
    }
    // A miss after lane hits: the lane counted it, the guard in the pipeline must not again.
    const miss = await app.inject({ method: 'GET', url: '/videos/vid_000022' });
    expect(miss.statusCode).toBe(200);
    remaining.push(miss.headers['x-ratelimit-remaining']);
    expect(remaining).toEqual(['3', '2', '1', '0']);

    const refused = await app.inject({ method: 'GET', url });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['cache-status']).toBeUndefined();
    expect(JSON.parse(refused.body)).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    // The same budget on another route.
    expect((await app.inject({ method: 'GET', url: '/videos/popular' })).statusCode).toBe(429);
  });
});
