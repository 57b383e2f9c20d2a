import { Controller, Get } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { performance } from 'node:perf_hooks';
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

    it('share one limit per client across routes; the request over it is 429 with Retry-After', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT; i++) {
        const app = i % 2 === 0 ? a : b;
        const response = await hit(app, i % 3 === 0 ? '/hello/other' : '/hello');
        statuses.push(response.statusCode);
        expect(response.headers['x-ratelimit-remaining']).toBe(String(LIMIT - i - 1));
      }
      expect(statuses).toEqual(Array(LIMIT).fill(200));

      for (const app of [a, b]) {
        const over = await hit(app);
        expect(over.statusCode).toBe(429);
        const retryAfter = Number(over.headers['retry-after']);
        expect(Number.isInteger(retryAfter)).toBe(true);
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(over.json()).toMatchObject({ statusCode: 429 });
      }

      // The counter lives in Redis, under the deployment's prefix.
      const keys = await redis.keys(`${shared}:%meta:throttle:*`);
      expect(keys.length).toBeGreaterThan(0);
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

  it('falls back to a per-replica limit, without delaying requests, when Redis is down', async () => {
    const server = new RedisServerProcess(await freePort());
    await server.start();
    const app = await createOpsApp({
      cache: { prefix: prefix(), redisUrl: server.url },
      env,
      controllers: [HelloController],
    });
    try {
      expect((await hit(app)).statusCode).toBe(200);
      await server.kill();

      const statuses: number[] = [];
      const started = performance.now();
      for (let i = 0; i < LIMIT + 1; i++) statuses.push((await hit(app, '/hello', '10.7.7.7')).statusCode);
      const elapsed = performance.now() - started;

      expect(statuses).toEqual([...Array(LIMIT).fill(200), 429]);
      // Each request waited at most the short Redis bound (150 ms), most not at all.
      expect(elapsed).toBeLessThan((LIMIT + 1) * 150 + 500);
    } finally {
      await server.start();
      await redisReconnected(app);
      await app.close();
      await server.stop();
    }
  });
});
