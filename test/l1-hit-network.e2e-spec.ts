import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_RATE_LIMIT_SYNC_MS } from '../src/rate-limit/rate-limit.constants.js';
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
/**
 * The invalidation bus's heartbeats: one PUBLISH every B/6 (50 ms by default) from each replica,
 * whatever the traffic. Also timed work, bounded by a phase's length, never by its reads.
 */
const HEARTBEAT_MS = 50;
const withoutHeartbeats = (ran: Record<string, number>) =>
  Object.fromEntries(Object.entries(ran).filter(([name]) => name !== 'publish'));
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
  let base: string;
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    await response.arrayBuffer();
    return response;
  };

  beforeAll(async () => {
    server = new RedisServerProcess(await freePort());
    await server.start();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    // The production defaults for what the test fixture otherwise turns off or raises: warm-up on
    // boot, the rate limit's default (1,000 per minute, well above these few hundred reads) and the
    // L2 timeout's; and a PostgreSQL server, as deployments run.
    service = await createTestApp({
      database: 'postgres',
      env: {
        REDIS_URL: server.url,
        WARMUP_ON_BOOT: 'true',
        RATE_LIMIT_MAX: '1000',
        CACHE_L2_TIMEOUT_MS: undefined,
      },
    });
    app = service.app;
    // Over HTTP on the loopback, as clients reach it: each request goes through the event loop,
    // so the limiter's timer runs between requests as it does in production.
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    await waitFor(async () => (await get('/health/ready')).status === 200, 20_000);
  });
  afterAll(async () => {
    await service?.close();
    await redis?.quit();
    await server?.stop();
  });

  const warmRead = async (i: number) => {
    const response = await get(`/videos/${IDS[i % IDS.length]}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-status')).toBe('vidcache; hit; detail=l1');
  };

  /**
   * Redis commands over one phase of at least `PHASE_MS`, with `reads` warm reads spread over it
   * (a loaded machine may take longer to send them: the phase's real length is measured).
   */
  const phase = async (reads: number) => {
    const before = await commandCalls(redis);
    const started = performance.now();
    await spread(reads, PHASE_MS, warmRead);
    // The limiter's last batch leaves at most one sync interval after the last read.
    await sleep(DEFAULT_RATE_LIMIT_SYNC_MS * 4);
    const ran = ranBetween(before, await commandCalls(redis));
    return { reads, ran, ms: performance.now() - started };
  };

  it("a few hundred warm reads send no command to Redis but the rate limiter's timed batches, which do not grow with the reads", async () => {
    for (const id of IDS) {
      await waitFor(
        async () => (await get(`/videos/${id}`)).headers.get('cache-status') === 'vidcache; hit; detail=l1',
      );
    }
    // The boot's warm-up (and what it sets off) writes to Redis for a while after readiness:
    // counting starts once Redis has been quiet for a few sync intervals.
    await waitFor(async () => {
      const before = await commandCalls(redis);
      await sleep(DEFAULT_RATE_LIMIT_SYNC_MS * 4);
      return Object.keys(withoutHeartbeats(ranBetween(before, await commandCalls(redis)))).length === 0;
    }, 60_000);

    const idle = await phase(0);
    const phases = [await phase(30), await phase(300)];
    const total = (ran: Record<string, number>) => Object.values(ran).reduce((sum, calls) => sum + calls, 0);
    console.info(
      `Redis commands besides INFO: idle ${Math.round(idle.ms)} ms ${JSON.stringify(idle.ran)}; ` +
        phases
          .map(
            ({ reads, ran, ms }) =>
              `${reads} L1 hits in ${Math.round(ms)} ms ${JSON.stringify(ran)}: ` +
              `${(total(ran) / reads).toFixed(3)} commands and ${(scriptCalls(ran) / reads).toFixed(3)} script calls per hit`,
          )
          .join('; '),
    );

    // Nothing on an L1 hit's path talks to Redis: no cache read, no bus, no lock, nothing.
    for (const { ran, ms } of phases) {
      expect(outsideSync(withoutHeartbeats(ran))).toEqual(outsideSync(withoutHeartbeats(idle.ran)));
      expect(ran.publish ?? 0).toBeLessThanOrEqual(Math.ceil(ms / HEARTBEAT_MS) + 2);
    }
    // The rate limiter shares its counts by timed batches: at most one per sync interval while
    // there is traffic, however many reads the interval holds (per read, the previous limiter sent
    // one script call and 3 commands inside it). Inside each call: INCRBY and PTTL (and PEXPIRE
    // for a new window) per client, and the replica's presence (5 commands) at most once a
    // second; so nothing a read did can hide among them.
    for (const { ran, ms } of phases) {
      expect(scriptCalls(ran)).toBeLessThanOrEqual(Math.ceil(ms / DEFAULT_RATE_LIMIT_SYNC_MS) + 1);
      const inside = total(ran) - total(outsideSync(ran)) - scriptCalls(ran);
      expect(inside).toBeLessThanOrEqual(3 * scriptCalls(ran) + 5 * (Math.ceil(ms / 1_000) + 1));
    }
  });
});
