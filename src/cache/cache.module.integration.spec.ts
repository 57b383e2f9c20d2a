import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Test } from '@nestjs/testing';
import type { Cache } from 'cache-manager';
import { deletePrefix, rawClient, TEST_REDIS_URL, uniquePrefix } from '../../test/fixtures/redis.js';
import { CacheModule } from './cache.module.js';
import { VIDCACHE_REDIS } from './cache.constants.js';
import { HybridCacheService } from './hybrid-cache.service.js';
import type { RedisConnections } from '../redis/redis-connections.js';

describe('CacheModule', () => {
  const redis = rawClient();
  afterAll(() => redis.quit());

  it('provides CACHE_MANAGER on the same Redis, whose clear() never flushes the database', async () => {
    const prefix = uniquePrefix('module');
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ prefix, redisUrl: TEST_REDIS_URL })],
    }).compile();
    const app = await moduleRef.init();
    const manager = app.get<Cache>(CACHE_MANAGER);
    await redis.set(`${prefix}-bystander`, 'not ours');

    await manager.set('greeting', { hello: 'world' }, 60_000);
    const read = await manager.get('greeting');
    const storedUnderPrefix = (await redis.keys(`${prefix}:*`)).length; // test-only inspection
    await manager.clear();

    expect(read).toEqual({ hello: 'world' });
    expect(storedUnderPrefix).toBeGreaterThan(0);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
    expect(await redis.get(`${prefix}-bystander`)).toBe('not ours');
    await redis.unlink(`${prefix}-bystander`);
    await app.close();
    await deletePrefix(redis, prefix);
  });

  it('owns its Redis connections and closes them on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ prefix: uniquePrefix('module'), redisUrl: TEST_REDIS_URL })],
    }).compile();
    const app = await moduleRef.init();
    const connections = app.get<RedisConnections>(VIDCACHE_REDIS);
    expect(connections.client.status).toBe('ready');
    expect(connections.subscriber.status).toBe('ready');
    expect(connections.writer.status).toBe('ready');

    await app.close();

    expect(connections.client.status).toBe('end');
    expect(connections.subscriber.status).toBe('end');
    expect(connections.writer.status).toBe('end');
  });

  it('runs memory-only without REDIS_URL', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespaces: { video: {} } })],
    }).compile();
    const app = await moduleRef.init();
    const cache = app.get(HybridCacheService);

    expect(app.get(VIDCACHE_REDIS)).toBeNull();
    expect(await cache.wrap('video', ['video', 'x'], () => 'loaded')).toBe('loaded');
    expect(cache.stats().l2.status).toBe('disabled');
    await app.close();
  });

  it('rejects invalid options at start-up, naming the field', () => {
    expect(() => CacheModule.forRoot({ policies: { video: { l2TtlMs: -1 } } })).toThrow(/video\.l2TtlMs=-1/);
  });
});
