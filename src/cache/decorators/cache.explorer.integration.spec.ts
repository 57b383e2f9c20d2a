import { jest } from '@jest/globals';
import { Controller, Get, Injectable, Logger, Param, Scope, SetMetadata } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  deletePrefix,
  rawClient,
  TEST_REDIS_URL,
  UNHURRIED_L2_TIMEOUT_MS,
  uniquePrefix,
} from '../../../test/fixtures/redis.js';
import { CacheModule } from '../cache.module.js';
import { CacheConfig } from './cache-config.decorator.js';
import { CacheEvict } from './cache-evict.decorator.js';
import { CachePut } from './cache-put.decorator.js';
import { Cacheable } from './cacheable.decorator.js';
import { HybridCacheService } from '../hybrid-cache.service.js';

interface Thing {
  id: string;
  version: number;
}

@CacheConfig({ namespace: 'things' })
@Injectable()
class ThingsService {
  calls = 0;
  version = 1;

  @SetMetadata('custom:marker', 'kept')
  @Cacheable({ key: (id: string) => ['thing', id] })
  async find(id: string): Promise<Thing> {
    this.calls++;
    return { id, version: this.version };
  }

  @Cacheable()
  async search(query: { q: string; page: number }, sort: string): Promise<string> {
    this.calls++;
    return `${query.q}/${query.page}/${sort}/${this.version}`;
  }

  @Cacheable({
    key: (id: string) => ['private', id],
    condition: (_id: string, includePrivate = false) => !includePrivate,
  })
  async profile(id: string, includePrivate = false): Promise<string> {
    this.calls++;
    return includePrivate ? `${id}+email` : id;
  }

  @Cacheable({ key: (id: string) => ['maybe', id], unless: (result: string | null) => result === null })
  async maybe(id: string): Promise<string | null> {
    this.calls++;
    return this.version > 1 ? id : null;
  }

  @CacheEvict({ key: (id: string) => ['thing', id] })
  async update(id: string, fail = false): Promise<void> {
    if (fail) throw new Error('write failed');
    this.version++;
  }

  @CacheEvict({ key: (id: string) => ['thing', id], beforeInvocation: true })
  async updateEvictingFirst(_id: string, fail = false): Promise<void> {
    if (fail) throw new Error('write failed');
    this.version++;
  }

  @CachePut({ key: (thing: Thing) => ['thing', thing.id] })
  async save(id: string): Promise<Thing> {
    this.version++;
    return { id, version: this.version };
  }

  @CacheEvict({ allEntries: true })
  async reset(): Promise<void> {}
}

@Injectable({ scope: Scope.REQUEST })
class PerRequestService {
  @Cacheable({ namespace: 'things', key: () => 'per-request' })
  async value(): Promise<number> {
    return Math.random();
  }
}

@Controller('things')
class ThingsController {
  calls = 0;
  @Get(':id')
  @Cacheable({ namespace: 'things', key: (id: string) => ['http', id] })
  async get(@Param('id') id: string): Promise<{ id: string; calls: number }> {
    this.calls++;
    return { id, calls: this.calls };
  }
}

const policies = { things: { jitter: 0 }, others: { jitter: 0 } };

describe('cache decorators', () => {
  const redis = rawClient();
  let prefix: string;
  let app: NestFastifyApplication;
  let things: ThingsService;
  const warnings: string[] = [];

  beforeEach(async () => {
    prefix = uniquePrefix('decorators');
    warnings.length = 0;
    jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation((message: unknown) => void warnings.push(String(message)));
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot({
          prefix,
          redisUrl: TEST_REDIS_URL,
          policies,
          l2: { timeoutMs: UNHURRIED_L2_TIMEOUT_MS },
        }),
      ],
      providers: [ThingsService, PerRequestService],
      controllers: [ThingsController],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    things = app.get(ThingsService);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await app.close();
    await deletePrefix(redis, prefix);
  });
  afterAll(() => redis.quit());

  describe('@Cacheable', () => {
    it('does not call the method on a hit (typed key)', async () => {
      expect(await things.find('a')).toEqual({ id: 'a', version: 1 });
      expect(await things.find('a')).toEqual({ id: 'a', version: 1 });
      expect(things.calls).toBe(1);
      expect(await redis.exists(`${prefix}:things:thing:a`)).toBe(1);
    });

    it('derives a default key from the method and its arguments, independent of property order', async () => {
      await things.search({ q: 'cats', page: 1 }, 'new');
      await things.search({ page: 1, q: 'cats' } as { q: string; page: number }, 'new');
      await things.search({ q: 'cats', page: 2 }, 'new');
      expect(things.calls).toBe(2);
    });

    it('bypasses the cache when condition is false: neither read nor stored', async () => {
      await things.profile('u1');
      expect(await things.profile('u1', true)).toBe('u1+email');
      expect(await things.profile('u1', true)).toBe('u1+email');
      expect(await things.profile('u1')).toBe('u1');
      expect(things.calls).toBe(3);
      expect(await redis.get(`${prefix}:things:private:u1`)).not.toContain('email');
    });

    it('does not store a result when unless is true', async () => {
      expect(await things.maybe('m')).toBeNull();
      things.version = 2;
      expect(await things.maybe('m')).toBe('m');
      expect(await things.maybe('m')).toBe('m');
      expect(things.calls).toBe(2);
    });

    it('keeps other decorators’ metadata on the wrapped method', () => {
      expect(Reflect.getMetadata('custom:marker', things.find)).toBe('kept');
      expect(things.find.name).toBe('find');
    });

    it('wraps controller methods before their routes are bound', async () => {
      const first = await app.inject({ method: 'GET', url: '/things/x' });
      const second = await app.inject({ method: 'GET', url: '/things/x' });
      expect(first.json()).toEqual({ id: 'x', calls: 1 });
      expect(second.json()).toEqual({ id: 'x', calls: 1 });
    });

    it('skips request-scoped providers with a warning', () => {
      expect(
        warnings.some((w) => w.includes('PerRequestService.value') && w.includes('request-scoped')),
      ).toBe(true);
    });
  });

  describe('@CacheEvict', () => {
    it('evicts after the method succeeds', async () => {
      await things.find('a');
      await things.update('a');
      expect(await things.find('a')).toEqual({ id: 'a', version: 2 });
      expect(things.calls).toBe(2);
    });

    it('evicts nothing when the method throws', async () => {
      await things.find('a');
      await expect(things.update('a', true)).rejects.toThrow('write failed');
      await things.find('a');
      expect(things.calls).toBe(1);
    });

    it('evicts before the call with beforeInvocation, even when it then throws', async () => {
      await things.find('a');
      await expect(things.updateEvictingFirst('a', true)).rejects.toThrow('write failed');
      await things.find('a');
      expect(things.calls).toBe(2);
    });

    it('allEntries clears its namespace only: another prefix, another namespace and non-cache keys survive', async () => {
      const cache = app.get(HybridCacheService);
      await things.find('a');
      await things.find('b');
      await cache.set('others', 'neighbour', 'stays');
      const foreignPrefix = `${prefix}-other`;
      await redis.set(`${foreignPrefix}:things:thing:a`, 'another deployment');
      await redis.set(`${prefix}-plain-key`, 'not a cache key');

      await things.reset();

      expect(await redis.exists(`${prefix}:things:thing:a`, `${prefix}:things:thing:b`)).toBe(0);
      expect(await things.find('a')).toEqual({ id: 'a', version: 1 });
      expect(things.calls).toBe(3);
      expect(await cache.get('others', 'neighbour')).toBe('stays');
      expect(await redis.get(`${foreignPrefix}:things:thing:a`)).toBe('another deployment');
      expect(await redis.get(`${prefix}-plain-key`)).toBe('not a cache key');
      await redis.unlink(`${foreignPrefix}:things:thing:a`, `${prefix}-plain-key`);
    });
  });

  describe('@CachePut', () => {
    it('always calls the method and stores its result under a key taken from the result', async () => {
      await things.find('a');
      const saved = await things.save('a');
      const saved2 = await things.save('a');
      expect(saved2.version).toBe(saved.version + 1);
      expect(await things.find('a')).toEqual(saved2);
      expect(things.calls).toBe(1);
    });
  });
});
