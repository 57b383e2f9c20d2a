import { Controller, Get } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { performance } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { waitFor } from './fixtures/deferred.js';
import { ThrottlerStorage } from '@nestjs/throttler';
import { VIDCACHE_REDIS, type RedisConnections } from '../src/cache/index.js';
import type { LocalFirstThrottlerStorage } from '../src/rate-limit/local-first-throttler.storage.js';
import { closeAll, createOpsApp, redisReconnected } from './fixtures/ops-app.js';
import { freePort, RedisServerProcess, TEST_REDIS_URL } from './fixtures/redis.js';
import { testPrefixes } from './fixtures/redis-prefixes.js';

@Controller('hello')
class HelloController {
  @Get()
  hello() {
    return { hello: 'world' };
  }

  @Get('other')
  other() {
    return { other: true };
  }
}

const LIMIT = 5;
const env = { RATE_LIMIT_MAX: String(LIMIT), RATE_LIMIT_TTL_MS: '60000' };

const hit = (app: NestFastifyApplication, url = '/hello', ip = '10.1.2.3') =>
  app.inject({ method: 'GET', url, remoteAddress: ip });

/** The shared counter of a client, as the replicas' syncs left it in Redis. */
const counterKey = (prefix: string, ip: string) => `${prefix}:%meta:throttle:{rate-limit}:default:${ip}`;

const expectTooManyRequests = (response: Awaited<ReturnType<typeof hit>>) => {
  expect(response.statusCode).toBe(429);
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(response.json()).toMatchObject({
    statusCode: 429,
    message: `Too many requests; retry after ${retryAfter} s`,
  });
};

describe('rate limiting', () => {
  const { redis, next: prefix } = testPrefixes('ratelimit');

  describe('two replicas on one Redis', () => {
    let a: NestFastifyApplication;
    let b: NestFastifyApplication;
    let shared: string;

    beforeAll(async () => {
      shared = prefix();
      const boot = () =>
        createOpsApp({
          cache: { prefix: shared, redisUrl: TEST_REDIS_URL },
          env,
          controllers: [HelloController],
        });
      [a, b] = await Promise.all([boot(), boot()]);
    });
    afterAll(() => closeAll(a, b));

    it('one budget per client across routes, decided in memory; over it, 429 with Retry-After and when to retry', async () => {
      for (let i = 0; i < LIMIT; i++) {
        const response = await hit(a, i % 2 === 0 ? '/hello/other' : '/hello');
        expect(response.statusCode).toBe(200);
        expect(response.headers['x-ratelimit-limit']).toBe(String(LIMIT));
        expect(response.headers['x-ratelimit-remaining']).toBe(String(LIMIT - i - 1));
        expect(Number(response.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
      }
      expectTooManyRequests(await hit(a));

      // The replica's hits reach Redis, under the deployment's prefix, by its background sync.
      await waitFor(async () => Number(await redis.get(counterKey(shared, '10.1.2.3'))) === LIMIT);
    });

    it('the other replica refuses the same client once it has synced (at most one request passes first)', async () => {
      await waitFor(async () => Number(await redis.get(counterKey(shared, '10.1.2.3'))) === LIMIT);
      // b has never seen this client: its first request is decided before b's first sync answers
      // (the documented overshoot); that sync tells b the shared count, and b refuses from then on.
      let passed = 0;
      let response = await hit(b);
      while (response.statusCode === 200 && passed < LIMIT) {
        passed++;
        await waitFor(async () => Number(await redis.get(counterKey(shared, '10.1.2.3'))) === LIMIT + passed);
        await turn();
        response = await hit(b);
      }
      expect(passed).toBeLessThanOrEqual(1);
      expectTooManyRequests(response);
    });

    it('another client has its own budget', async () => {
      expect((await hit(a, '/hello', '10.9.9.9')).statusCode).toBe(200);
    });

    it('probes and metrics are never limited', async () => {
      for (let i = 0; i < LIMIT * 2; i++) {
        for (const url of ['/health/live', '/health/ready', '/metrics']) {
          expect((await hit(a, url)).statusCode).toBe(200);
        }
      }
    });
  });

  describe('two replicas, 200 per minute, over HTTP: the overshoot', () => {
    const OVERSHOOT_LIMIT = 200;

    /**
     * Boots two replicas on one Redis (a prefix of their own, so the client starts with a full
     * budget), sends `count` requests from one client, `inFlight` at a time, each alternating
     * between the replicas, and answers how many passed.
     */
    const measure = async (count: number, inFlight: number) => {
      const shared = prefix();
      const boot = () =>
        createOpsApp({
          cache: { prefix: shared, redisUrl: TEST_REDIS_URL },
          env: { RATE_LIMIT_MAX: String(OVERSHOOT_LIMIT), RATE_LIMIT_TTL_MS: '60000' },
          controllers: [HelloController],
        });
      const replicas = [await boot(), await boot()];
      try {
        const urls = await Promise.all(
          replicas.map(async (app) => {
            await app.listen(0, '127.0.0.1');
            return `${await app.getUrl()}/hello`;
          }),
        );
        let sent = 0;
        let passed = 0;
        const client = async (lane: number) => {
          while (sent < count) {
            const response = await fetch(urls[(sent++ + lane) % 2]!);
            await response.arrayBuffer();
            if (response.status === 200) passed++;
            else expect(response.status).toBe(429);
          }
        };
        await Promise.all(Array.from({ length: inFlight }, (_, lane) => client(lane)));
        return passed;
      } finally {
        await closeAll(...replicas);
      }
    };

    it.each([1, 16])(
      'one client, %i request(s) in flight, alternating between the replicas: 180 to 250 of 400 pass',
      async (inFlight) => {
        const passed = await measure(400, inFlight);
        console.info(
          `two replicas, limit ${OVERSHOOT_LIMIT}/min, 400 requests, ${inFlight} in flight: ${passed} passed`,
        );
        expect(passed).toBeGreaterThanOrEqual(180);
        expect(passed).toBeLessThanOrEqual(250);
      },
    );
  });

  it('while Redis is down each replica admits its share (limit / replicas), without delaying requests', async () => {
    const server = new RedisServerProcess(await freePort());
    await server.start();
    const own = prefix();
    const boot = () =>
      createOpsApp({ cache: { prefix: own, redisUrl: server.url }, env, controllers: [HelloController] });
    const replicas = [await boot(), await boot()];
    try {
      // Each replica learns how many replicas are present when it renews its own presence, which
      // it does (at most once a second) with the syncs of its traffic.
      let client = 0;
      await waitFor(async () => {
        for (const app of replicas)
          expect((await hit(app, '/hello', `10.0.0.${++client}`)).statusCode).toBe(200);
        return replicas.every(
          (app) => app.get<LocalFirstThrottlerStorage>(ThrottlerStorage).knownReplicas === 2,
        );
      });
      await server.kill();
      await waitFor(() =>
        replicas.every((app) => app.get<RedisConnections>(VIDCACHE_REDIS).client.status !== 'ready'),
      );

      const started = performance.now();
      for (const app of replicas) {
        const statuses: number[] = [];
        for (let i = 0; i < LIMIT; i++) {
          statuses.push((await hit(app, '/hello', '10.7.7.7')).statusCode);
          await turn(); // let the failed sync be noticed, as between requests from a network
        }
        // floor(5 / 2) = 2 each: together they stay within the limit while they cannot share counts.
        expect(statuses).toEqual([200, 200, 429, 429, 429]);
      }
      // No request waits on Redis: the limiter decides in memory whatever state Redis is in.
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await server.start();
      for (const app of replicas) await redisReconnected(app);
      await closeAll(...replicas);
      await server.stop();
    }
  });
});
