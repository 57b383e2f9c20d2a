import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { L2Status, RedisConnections } from '../../cache/index.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('RedisThrottlerStorage', () => {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const redis = { client, subscriber: client } as unknown as RedisConnections;
  const prefix = `vc-throttle-${randomBytes(4).toString('hex')}`;
  let status: L2Status = 'up';
  const storage = (connections: RedisConnections | null = redis) =>
    new RedisThrottlerStorage(connections, prefix, () => status);

  beforeEach(() => {
    status = 'up';
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('two storages (two replicas) count one window together, in Redis under <prefix>:%meta:throttle:<name>:{<key>}', async () => {
    const [a, b] = [storage(), storage()];
    const results = [];
    for (let i = 0; i < 4; i++)
      results.push(await (i % 2 ? a : b).increment('ip-1', 60_000, 3, 60_000, 'default'));

    expect(results.map((r) => [r.totalHits, r.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(results[0]!.timeToExpire).toBe(60);
    expect(results[3]!.timeToBlockExpire).toBe(60);
    expect(await client.pttl(`${prefix}:%meta:throttle:default:{ip-1}`)).toBeGreaterThan(59_000);
  });

  it('never lets more than the limit through under concurrency', async () => {
    const replicas = [storage(), storage(), storage()];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => replicas[i % 3]!.increment('ip-2', 60_000, 10, 60_000, 'default')),
    );
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(10);
  });

  it('stays blocked for the block duration, then lets requests through in a new window', async () => {
    const s = storage();
    for (let i = 0; i < 2; i++) await s.increment('ip-3', 100, 1, 300, 'default');
    await new Promise((resolve) => setTimeout(resolve, 150)); // the window is over, the block is not
    expect((await s.increment('ip-3', 100, 1, 300, 'default')).isBlocked).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await s.increment('ip-3', 100, 1, 300, 'default')).isBlocked).toBe(false);
  });

  it('counts in memory, per replica, while the cache reports Redis down', async () => {
    status = 'down';
    const [a, b] = [storage(), storage()];
    await a.increment('ip-4', 60_000, 1, 60_000, 'default');
    expect((await b.increment('ip-4', 60_000, 1, 60_000, 'default')).isBlocked).toBe(false);
    expect((await a.increment('ip-4', 60_000, 1, 60_000, 'default')).isBlocked).toBe(true);
    expect(await client.exists(`${prefix}:%meta:throttle:default:ip-4`)).toBe(0);
  });

  it('falls back to memory at once when a Redis call fails, and within the bound when it hangs', async () => {
    const failing = { client: { evalsha: () => Promise.reject(new Error('Connection is closed.')) } };
    const hanging = { client: { evalsha: () => new Promise(() => undefined) } };
    for (const broken of [failing, hanging]) {
      const s = storage(broken as unknown as RedisConnections);
      const started = performance.now();
      const record = await s.increment('ip-5', 60_000, 5, 60_000, 'default');
      expect(record).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(performance.now() - started).toBeLessThan(400);
      s.onApplicationShutdown();
    }
  });

  it('without Redis (memory-only mode) counts in memory', async () => {
    const s = storage(null);
    expect((await s.increment('ip-6', 60_000, 1, 60_000, 'default')).isBlocked).toBe(false);
    expect((await s.increment('ip-6', 60_000, 1, 60_000, 'default')).isBlocked).toBe(true);
    s.onApplicationShutdown();
  });
});
