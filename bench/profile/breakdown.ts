import { AsyncLocalStorage } from 'node:async_hooks';
import { createCache } from 'cache-manager';
import type { Redis } from 'ioredis';
import { decodeEntry, encodeEntry } from '../../src/cache/cache-codec.js';
import { CacheContext } from '../../src/cache/cache-context.js';
import { encodeKey, type CacheKey } from '../../src/cache/cache-keys.js';
import { resolveCacheOptions } from '../../src/cache/cache-options.js';
import { CacheStack } from '../../src/cache/cache-stack.js';
import { HybridCacheService } from '../../src/cache/hybrid-cache.service.js';
import { CacheableRegistry } from '../../src/cache/cacheable-registry.js';
import { CacheWrapperFactory } from '../../src/cache/decorators/cache-wrapper.factory.js';
import type { CacheableOptions } from '../../src/cache/decorators/cache-options.types.js';
import { makeImmutable } from '../../src/cache/immutable-value.js';
import type { Table } from '../lib/context.js';
import { alternate, calibrate, nsPerOp, type Batch } from '../lib/harness.js';
import { benchItem } from '../lib/payload.js';
import { duration, range, summarize, type Summary } from '../lib/stats.js';
import { BENCH_NAMESPACE, benchCacheOptions } from '../sections/in-process.js';
import { L2_ONLY_NAMESPACE, L2_ONLY_POLICY } from '../sections/redis-hits.js';

export interface BreakdownRow {
  readonly name: string;
  readonly nsPerOp: Summary;
}

/**
 * Runs a batch inside an AsyncLocalStorage context, as code under the Cache-Status interceptor
 * runs, then disables it again. On Node 20 an AsyncLocalStorage that has run turns on promise
 * hooks for the whole process until every instance is disabled; this one is the only instance
 * that runs in the breakdown's process, so the rows measured without it stay unaffected.
 */
function withAsyncLocalStorage(batch: Batch): Batch {
  const storage = new AsyncLocalStorage<unknown[]>();
  return async (n) => {
    try {
      return await storage.run([], () => batch(n));
    } finally {
      storage.disable();
    }
  };
}

/**
 * Where an L1 hit and an L2 hit spend their time, piece by piece, measured like section 1
 * (alternating rounds, awaited where the real call is awaited). Redis is replaced by an in-memory
 * fake client here, so the L2 rows are the CPU cost of the read path without the network. Run it
 * in a fresh process (see `breakdown-run.ts`): once anything has run an AsyncLocalStorage, every
 * promise in the process costs more.
 */
export async function runBreakdown(rounds: number, batchMs: number): Promise<BreakdownRow[]> {
  const hot = 1_000;
  const keys: CacheKey[] = Array.from({ length: hot }, (_, i) => ['item', i]);

  // L1: a memory-only hybrid cache, filled with the hot keys.
  const l1Stack = new CacheStack(
    resolveCacheOptions(benchCacheOptions('bench-breakdown', undefined)),
    null,
    new CacheContext(),
  );
  const l1Cache = new HybridCacheService(l1Stack);
  const ns = l1Stack.namespaces.get(BENCH_NAMESPACE);
  for (let i = 0; i < hot; i++) await l1Cache.wrap(BENCH_NAMESPACE, keys[i]!, () => benchItem(i));
  const relativeKeys = keys.map((key) => encodeKey(key));
  // The wrapper the explorer puts on a @Cacheable method, built by the real factory.
  const item = (i: number) => Promise.resolve(benchItem(i));
  const current = new CacheWrapperFactory(l1Stack, new CacheableRegistry()).cacheable(
    item as (...args: unknown[]) => unknown,
    'Bench.item',
    { namespace: BENCH_NAMESPACE, key: (i: number) => ['item', i] } as CacheableOptions,
  ) as (i: number) => Promise<unknown>;
  const cacheManager = createCache();
  const stringKeys = keys.map((_, i) => `item:${i}`);
  for (let i = 0; i < hot; i++) await cacheManager.set(stringKeys[i]!, benchItem(i));

  // L2: a hybrid cache whose Redis client is an in-memory map (no network, no event loop turn).
  const entries = new Map<string, Buffer>();
  const fakeRedis = {
    getBuffer: (key: string) => Promise.resolve(entries.get(key) ?? null),
    mget: () => Promise.resolve([null, null]),
  } as unknown as Redis;
  const l2Cache = new HybridCacheService(
    new CacheStack(
      resolveCacheOptions({
        prefix: 'bench-breakdown',
        redisUrl: 'redis://fake',
        policies: { [L2_ONLY_NAMESPACE]: L2_ONLY_POLICY },
      }),
      { client: fakeRedis, subscriber: fakeRedis, writer: fakeRedis },
      new CacheContext(),
    ),
  );
  const l2Keys = keys.map((key) => l2Cache.keyOf(L2_ONLY_NAMESPACE, key));
  for (let i = 0; i < hot; i++) {
    entries.set(l2Keys[i]!, (await encodeEntry(benchItem(i), Date.now() + 3_600_000, Infinity)).bytes);
  }
  const oneEntry = entries.get(l2Keys[1]!)!;

  const awaitResolved: Batch = async (n) => {
    let last: unknown;
    for (let i = 0; i < n; i++) last = await Promise.resolve(i);
    return last;
  };
  const cacheableHits: Batch = async (n) => {
    let last: unknown;
    for (let i = 0; i < n; i++) last = await current(i % hot);
    return last;
  };
  const batches: [string, Batch][] = [
    ['await of a resolved promise', awaitResolved],
    ['await of a resolved promise, AsyncLocalStorage active', withAsyncLocalStorage(awaitResolved)],
    [
      'Date.now()',
      (n) => {
        let last = 0;
        for (let i = 0; i < n; i++) last = Date.now();
        return last;
      },
    ],
    [
      "encodeKey(['item', i]) (src/cache)",
      (n) => {
        let last = '';
        for (let i = 0; i < n; i++) last = encodeKey(keys[i % hot]!);
        return last;
      },
    ],
    [
      'L1 lookup, key already built',
      (n) => {
        let last: unknown;
        const now = Date.now();
        for (let i = 0; i < n; i++) last = l1Stack.l1.probe(ns.l1, relativeKeys[i % hot]!, now);
        return last;
      },
    ],
    [
      'hitL1, key already built (sync)',
      (n) => {
        let last: unknown;
        for (let i = 0; i < n; i++) last = l1Stack.reads.hitL1(ns, relativeKeys[i % hot]!);
        return last;
      },
    ],
    [
      "wrap(['item', i]) hit (awaited)",
      async (n) => {
        let last: unknown;
        for (let i = 0; i < n; i++) last = await l1Cache.wrap(BENCH_NAMESPACE, keys[i % hot]!, () => null);
        return last;
      },
    ],
    ['@Cacheable wrapper hit (awaited)', cacheableHits],
    ['@Cacheable wrapper hit (awaited), AsyncLocalStorage active', withAsyncLocalStorage(cacheableHits)],
    [
      'cache-manager 7 wrap hit (awaited), for comparison',
      async (n) => {
        let last: unknown;
        for (let i = 0; i < n; i++) last = await cacheManager.wrap(stringKeys[i % hot]!, () => null);
        return last;
      },
    ],
    [
      'L2: fake GET + decodeEntry (the raw baseline, CPU only)',
      async (n) => {
        let last: unknown;
        for (let i = 0; i < n; i++) {
          const bytes = await (fakeRedis.getBuffer(l2Keys[i % hot]!) as Promise<Buffer>);
          last = (await decodeEntry(bytes)).value;
        }
        return last;
      },
    ],
    [
      'L2: decodeEntry + makeImmutable (what filling L1 adds)',
      async (n) => {
        let last: unknown;
        for (let i = 0; i < n; i++) last = makeImmutable((await decodeEntry(oneEntry)).value);
        return last;
      },
    ],
    [
      'L2: vidcache wrap on an L2 hit, fake client (CPU only)',
      async (n) => {
        let last: unknown;
        for (let i = 0; i < n; i++) last = await l2Cache.wrap(L2_ONLY_NAMESPACE, keys[i % hot]!, () => null);
        return last;
      },
    ],
  ];
  const sizes = new Map<string, number>();
  for (const [name, batch] of batches) sizes.set(name, await calibrate(batch, batchMs));
  const samples = await alternate(
    batches.map(([name, batch]) => ({ name, run: () => nsPerOp(batch, sizes.get(name)!) })),
    { rounds, warmupRounds: 1 },
  );
  if (l2Cache.stats().namespaces[L2_ONLY_NAMESPACE]!.loads > 0)
    throw new Error('breakdown: an L2 read missed');
  return batches.map(([name]) => ({ name, nsPerOp: summarize(samples.get(name)!) }));
}

export function breakdownTable(rows: readonly BreakdownRow[]): Table {
  return {
    title: 'Hit-path breakdown (alternating rounds)',
    columns: ['piece', 'ns/op median (min–max)'],
    rows: rows.map((row) => [row.name, range(row.nsPerOp, duration)]),
  };
}
