import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_RATE_LIMIT_SYNC_MS } from '../src/common/rate-limit/rate-limit.constants.js';
import { createTestApp, type TestApp } from './fixtures/app.js';
import { waitFor } from './fixtures/deferred.js';
import { freePort, RedisServerProcess } from './fixtures/redis.js';

/** Calls per command name, from `INFO commandstats` (commands run by a script are counted too). */
async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1]!, Number(match[2]));
  }
  return calls;
}

/** What ran between two `commandCalls` readings, without the INFO commands the test itself sends. */
function ranBetween(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const ran: Record<string, number> = {};
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0);
    if (delta > 0 && name !== 'info') ran[name] = delta;
  }
  return ran;
}

/**
 * The rate limiter's background sync: one script call (EVALSHA, or EVAL the first time) and the
 * commands inside it. Everything else would be a call made for a request.
 */
const SYNC_COMMANDS = new Set([
  'evalsha',
  'eval',
  'time',
  'zadd',
  'zremrangebyscore',
  'pexpire',
  'zcard',
  'incrby',
  'pttl',
]);
const scriptCalls = (ran: Record<string, number>) => (ran.evalsha ?? 0) + (ran.eval ?? 0);
const outsideSync = (ran: Record<string, number>) =>
  Object.fromEntries(Object.entries(ran).filter(([name]) => !SYNC_COMMANDS.has(name)));

/** Runs `count` calls spread evenly over `durationMs` (as traffic arrives), then waits out the rest. */
async function spread(count: number, durationMs: number, call: (i: number) => Promise<void>): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * durationMs) / count;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    await call(i);
  }
  const rest = started + durationMs - performance.now();
  if (rest > 0) await sleep(rest);
}

const IDS = ['vid_000001', 'vid_000002', 'vid_000003'];
const PHASE_MS = 1_000;

describe('an L1 hit makes no network call, with every production default on', () => {
  let server: RedisServerProcess;
  let redis: Redis;
  let service: TestApp;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    server = new RedisServerProcess(await freePort());
    await server.start();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    // The production defaults for what the test fixture otherwise turns off or raises: warm-up on
    // boot, and the rate limit's default (1,000 per minute, well above these few hundred reads);
    // and a PostgreSQL server, as deployments run.
    service = await createTestApp({
      database: 'postgres',
      env: { REDIS_URL: server.url, WARMUP_ON_BOOT: 'true', RATE_LIMIT_MAX: '1000' },
    });
    app = service.app;
    await waitFor(async () => (await app.inject({ url: '/health/ready' })).statusCode === 200, 20_000);
  });
  afterAll(async () => {
    await service?.close();
    await redis?.quit();
    await server?.stop();
  });

  const warmRead = async (i: number) => {
    const response = await app.inject({ method: 'GET', url: `/videos/${IDS[i % IDS.length]}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-status']).toBe('vidcache; hit; detail=l1');
  };

  /** Redis commands over one phase of `PHASE_MS`, with `reads` warm reads spread over it. */
  const phase = async (reads: number) => {
    const before = await commandCalls(redis);
    await spread(reads, PHASE_MS, warmRead);
    // The limiter's last batch leaves at most one sync interval after the last read.
    await sleep(DEFAULT_RATE_LIMIT_SYNC_MS * 4);
    return ranBetween(before, await commandCalls(redis));
  };

  it("a few hundred warm reads send no command to Redis but the rate limiter's timed batches, which do not grow with the reads", async () => {
    for (const id of IDS) {
      await waitFor(
        async () =>
          (await app.inject({ url: `/videos/${id}` })).headers['cache-status'] === 'vidcache; hit; detail=l1',
      );
    }
    // The boot's warm-up (and what it sets off) writes to Redis for a while after readiness:
    // counting starts once Redis has been quiet for a few sync intervals.
    await waitFor(async () => {
      const before = await commandCalls(redis);
      await sleep(DEFAULT_RATE_LIMIT_SYNC_MS * 4);
      return Object.keys(ranBetween(before, await commandCalls(redis))).length === 0;
    }, 60_000);

    const idle = await phase(0);
    const few = await phase(30);
    const many = await phase(300);
    const total = (ran: Record<string, number>) => Object.values(ran).reduce((sum, calls) => sum + calls, 0);
    console.info(
      `Redis commands per ${PHASE_MS} ms phase (besides INFO): idle ${JSON.stringify(idle)}; ` +
        `30 L1 hits ${JSON.stringify(few)}; 300 L1 hits ${JSON.stringify(many)}; ` +
        `per L1 hit: ${((total(many) - total(idle)) / 300).toFixed(3)} commands, ` +
        `${(scriptCalls(many) / 300).toFixed(3)} script calls`,
    );

    // Nothing on an L1 hit's path talks to Redis: no cache read, no bus, no lock, nothing.
    expect(outsideSync(few)).toEqual(outsideSync(idle));
    expect(outsideSync(many)).toEqual(outsideSync(idle));
    // The rate limiter shares its counts by timed batches: at most one per sync interval while
    // there is traffic, so ten times the reads over the same time cost (nearly) no more calls.
    // (Per request they were 1 script call and 3 commands inside it, before.)
    const ticks = Math.ceil((PHASE_MS + DEFAULT_RATE_LIMIT_SYNC_MS * 4) / DEFAULT_RATE_LIMIT_SYNC_MS) + 1;
    expect(scriptCalls(many)).toBeLessThanOrEqual(ticks);
    expect((scriptCalls(many) - scriptCalls(few)) / (300 - 30)).toBeLessThan(0.1);
  });
});
