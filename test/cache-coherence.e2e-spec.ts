import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { performance } from 'node:perf_hooks';
import {
  Cacheable,
  CacheEvict,
  CacheModule,
  HybridCacheService,
  type CacheModuleOptions,
} from '../src/cache/index.js';
import { waitFor } from './fixtures/deferred.js';
import { RedisClusterProcesses } from './fixtures/redis-cluster.js';
import { deletePrefix, rawClient, TEST_REDIS_URL, uniquePrefix } from './fixtures/redis.js';

/** Stands in for the database that both replicas share. */
const source = new Map<string, number>();

@Injectable()
class CounterService {
  loads = 0;

  @Cacheable({ namespace: 'counter', key: (id: string) => ['counter', id] })
  async read(id: string): Promise<number> {
    this.loads++;
    return source.get(id) ?? 0;
  }

  @CacheEvict({ namespace: 'counter', key: (id: string) => ['counter', id] })
  async write(id: string, value: number): Promise<void> {
    source.set(id, value);
  }
}

async function replica(prefix: string, redis: RedisTarget): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [CacheModule.forRoot({ prefix, ...redis(), policies: { counter: { jitter: 0 } } })],
    providers: [CounterService],
  }).compile();
  return moduleRef.init();
}

/** Where L2 lives for a run of the suite: the test Redis, or a Redis Cluster the suite starts. */
type RedisTarget = () => Pick<CacheModuleOptions, 'redisUrl' | 'redisClusterNodes'>;

const cluster = new RedisClusterProcesses();
const targets: [string, RedisTarget, () => Promise<void>, () => Promise<void>][] = [
  ['one Redis', () => ({ redisUrl: TEST_REDIS_URL }), async () => undefined, async () => undefined],
  [
    'a Redis Cluster of three masters',
    () => ({ redisClusterNodes: cluster.nodes }),
    () => cluster.start(),
    () => cluster.stop(),
  ],
];

describe.each(targets)('two replicas on %s', (where, target, start, stop) => {
  const redis = rawClient();
  const prefix = uniquePrefix('coherence');
  let a: INestApplicationContext;
  let b: INestApplicationContext;

  beforeAll(async () => {
    await start();
    [a, b] = await Promise.all([replica(prefix, target), replica(prefix, target)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await deletePrefix(redis, prefix);
    await redis.quit();
    await stop();
  });

  it('an eviction on one stops the other serving the key from its L1, within a measured delay', async () => {
    const delays: number[] = [];
    const svcA = a.get(CounterService);
    const svcB = b.get(CounterService);
    const cacheB = b.get(HybridCacheService);
    for (let round = 1; round <= 20; round++) {
      const id = `c${round}`;
      source.set(id, 0);
      await svcA.read(id);
      expect(await svcB.read(id)).toBe(0); // B now holds it in L1
      const key = cacheB.keyOf('counter', ['counter', id]);
      expect(cacheB.inL1(key)).toBe(true);

      const started = performance.now();
      await svcA.write(id, round);
      await waitFor(() => !cacheB.inL1(key), 2_000);
      delays.push(performance.now() - started);

      expect(await svcB.read(id)).toBe(round);
    }
    delays.sort((x, y) => x - y);
    const p50 = delays[Math.floor(delays.length / 2)]!;
    const max = delays[delays.length - 1]!;
    console.log(
      `bus propagation A -> B L1 on ${where}: p50 ${p50.toFixed(2)} ms, max ${max.toFixed(2)} ms over ${delays.length} evictions`,
    );
    expect(max).toBeLessThan(1_000);
  });

  it('a namespace clear on one empties the other’s L1 for that namespace', async () => {
    const svcA = a.get(CounterService);
    const svcB = b.get(CounterService);
    source.set('n', 1);
    await svcB.read('n');
    await a.get(HybridCacheService).clearNamespace('counter');
    source.set('n', 2);
    await waitFor(() => b.get(HybridCacheService).stats().namespaces.counter!.l1Entries === 0, 2_000);
    expect(await svcB.read('n')).toBe(2);
    expect(await svcA.read('n')).toBe(2);
  });
});
