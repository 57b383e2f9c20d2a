import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { waitFor } from '../../test/fixtures/deferred.js';
import type { L2Status, RedisConnections } from '../cache/index.js';
import {
  LocalFirstThrottlerStorage,
  type LocalFirstThrottlerStorageOptions,
} from './local-first-throttler.storage.js';
import { PRESENCE_REFRESH_MS } from './rate-limit.constants.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MINUTE = 60_000;

describe('LocalFirstThrottlerStorage', () => {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const redis = { client, subscriber: client } as unknown as RedisConnections;
  let prefix: string;
  let status: L2Status;
  const storages: LocalFirstThrottlerStorage[] = [];
  const storage = (options: Partial<LocalFirstThrottlerStorageOptions> = {}) => {
    const created = new LocalFirstThrottlerStorage({
      redis,
      prefix,
      instanceId: randomBytes(4).toString('hex'),
      l2Status: () => status,
      ...options,
    });
    storages.push(created);
    return created;
  };
  const counterKey = (key: string) => `${prefix}:%meta:throttle:{rate-limit}:default:${key}`;
  const stored = async (key: string) => Number((await client.get(counterKey(key))) ?? 0);

  beforeEach(() => {
    prefix = `vc-throttle-${randomBytes(4).toString('hex')}`;
    status = 'up';
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await Promise.all(storages.splice(0).map((s) => s.onApplicationShutdown()));
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    jest.restoreAllMocks();
  });
  afterAll(() => client.quit());

  it('answers from memory and sends the admitted hits to Redis afterwards, in one batch', async () => {
    const s = storage({ syncIntervalMs: 200 });
    const records = [];
    for (let i = 0; i < 5; i++) records.push(await s.increment('ip-1', MINUTE, 100, MINUTE, 'default'));

    expect(records.map((r) => [r.totalHits, r.isBlocked, r.timeToExpire])).toEqual(
      Array.from({ length: 5 }, (_, i) => [i + 1, false, 60]),
    );
    // Nothing reached Redis while the requests were decided...
    expect(await client.exists(counterKey('ip-1'))).toBe(0);
    // ...and the batch arrives with the sync, carrying the window.
    await waitFor(async () => (await stored('ip-1')) === 5);
    expect(await client.pttl(counterKey('ip-1'))).toBeGreaterThan(MINUTE - 5_000);
  });

  it('two replicas share one limit: alternating requests pass close to it, never far over', async () => {
    const [a, b] = [storage(), storage()];
    await Promise.all([a.announce(), b.announce()]);
    let passed = 0;
    for (let i = 0; i < 400; i++) {
      const record = await (i % 2 ? a : b).increment('ip-2', MINUTE, 200, MINUTE, 'default');
      if (!record.isBlocked) passed++;
      // Requests arrive over time, as they would over a network, so that syncs can answer.
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(passed).toBeGreaterThanOrEqual(180);
    expect(passed).toBeLessThanOrEqual(250);
    await waitFor(async () => (await stored('ip-2')) === passed);
  });

  it('a replica adopts the window the first replica started, so Reset and Retry-After agree', async () => {
    let now = 1_000_000;
    const [a, b] = [storage({ clock: () => now }), storage({ clock: () => now })];
    await a.increment('ip-3', MINUTE, 10, MINUTE, 'default');
    await waitFor(async () => (await stored('ip-3')) === 1);

    now += 20_000; // b sees this client 20 s into the shared window
    await b.increment('ip-3', MINUTE, 10, MINUTE, 'default');
    await waitFor(async () => (await stored('ip-3')) === 2);
    const record = await b.increment('ip-3', MINUTE, 10, MINUTE, 'default');
    expect(record.totalHits).toBe(3);
    // Redis's own clock ran only milliseconds, so its window has ~60 s left; b adopted that end.
    expect(record.timeToExpire).toBeGreaterThan(55);
    expect(record.timeToExpire).toBeLessThanOrEqual(60);
  });

  it('blocks over the limit for the block duration, then a new window admits again', async () => {
    let now = 5_000_000;
    const s = storage({ redis: null, clock: () => now });
    expect((await s.increment('ip-4', 1_000, 2, 3_000, 'default')).isBlocked).toBe(false);
    expect((await s.increment('ip-4', 1_000, 2, 3_000, 'default')).isBlocked).toBe(false);
    const over = await s.increment('ip-4', 1_000, 2, 3_000, 'default');
    expect(over).toMatchObject({ isBlocked: true, timeToBlockExpire: 3, totalHits: 3 });

    now += 2_000; // the window is over, the block is not
    expect(await s.increment('ip-4', 1_000, 2, 3_000, 'default')).toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 1,
    });
    now += 1_000;
    expect(await s.increment('ip-4', 1_000, 2, 3_000, 'default')).toMatchObject({
      isBlocked: false,
      totalHits: 1,
    });
  });

  it('while Redis is down each replica admits its share: the limit divided by the replicas last seen', async () => {
    let now = Date.now();
    const [a, b] = [storage({ clock: () => now }), storage({ clock: () => now })];
    await a.announce();
    await b.announce();
    now += PRESENCE_REFRESH_MS;
    await a.announce(); // a renews its presence, and learns that b is present too
    expect(a.knownReplicas).toBe(2);

    status = 'down';
    const passed = async (s: LocalFirstThrottlerStorage) => {
      let count = 0;
      for (let i = 0; i < 10; i++)
        if (!(await s.increment('ip-5', MINUTE, 10, MINUTE, 'default')).isBlocked) count++;
      return count;
    };
    expect(await passed(a)).toBe(5);
  });

  it('a hanging or failing Redis never delays a request; the replica counts alone', async () => {
    const failing = {
      client: { status: 'ready', evalsha: () => Promise.reject(new Error('Connection is closed.')) },
    };
    const hanging = { client: { status: 'ready', evalsha: () => new Promise(() => undefined) } };
    for (const broken of [failing, hanging]) {
      const s = storage({ redis: broken as unknown as RedisConnections, syncIntervalMs: 10 });
      const started = performance.now();
      for (let i = 0; i < 3; i++) {
        expect((await s.increment('ip-6', MINUTE, 3, MINUTE, 'default')).isBlocked).toBe(false);
      }
      expect(performance.now() - started).toBeLessThan(50);
      expect((await s.increment('ip-6', MINUTE, 3, MINUTE, 'default')).isBlocked).toBe(true);
    }
  });

  it('rejected requests are not sent to Redis: a blocked client costs Redis nothing', async () => {
    const s = storage();
    for (let i = 0; i < 50; i++) await s.increment('ip-7', MINUTE, 3, MINUTE, 'default');
    await waitFor(async () => (await stored('ip-7')) === 3);
    await new Promise((resolve) => setTimeout(resolve, 120)); // two more sync intervals
    expect(await stored('ip-7')).toBe(3);
  });

  it('hits admitted while the connection is down are sent once it is up again', async () => {
    let up = false;
    const switching = {
      get status() {
        return up ? client.status : 'reconnecting';
      },
      evalsha: client.evalsha.bind(client),
      eval: client.eval.bind(client),
    };
    const s = storage({ redis: { client: switching } as unknown as RedisConnections });
    for (let i = 0; i < 3; i++) {
      expect((await s.increment('ip-9', MINUTE, 10, MINUTE, 'default')).isBlocked).toBe(false);
    }
    await new Promise((resolve) => setTimeout(resolve, 120)); // two sync intervals: nothing sent
    expect(await client.exists(counterKey('ip-9'))).toBe(0);

    up = true;
    await s.increment('ip-9', MINUTE, 10, MINUTE, 'default');
    await waitFor(async () => (await stored('ip-9')) === 4);
  });

  it('without Redis (memory-only mode) counts in memory, alone', async () => {
    const s = storage({ redis: null });
    expect((await s.increment('ip-8', MINUTE, 1, MINUTE, 'default')).isBlocked).toBe(false);
    expect((await s.increment('ip-8', MINUTE, 1, MINUTE, 'default')).isBlocked).toBe(true);
  });

  it('keeps one count per client and throttler when their requests interleave', () => {
    const s = storage({ redis: null });
    const calls: [string, string][] = [
      ['ip-1', 'default'],
      ['ip-1', 'default'],
      ['ip-2', 'default'],
      ['ip-1', 'burst'],
      ['ip-1', 'default'],
      ['ip-2', 'burst'],
      ['ip-2', 'default'],
    ];
    const totals = calls.map(([key, name]) => s.hit(key, MINUTE, 10, MINUTE, name).totalHits);
    expect(totals).toEqual([1, 2, 1, 1, 3, 1, 2]);
  });
});
