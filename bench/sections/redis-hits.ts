import { createCache, KeyvAdapter, type Cache, type CacheManagerStore } from 'cache-manager';
import { redisInsStore } from 'cache-manager-ioredis-yet';
import type { Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { decodeEntry, encodeEntry } from '../../src/cache/cache-codec.js';
import type { HybridCacheService } from '../../src/cache/index.js';
import {
  createHybrid,
  deletePrefix,
  rawClient,
  uniquePrefix,
  type HybridHandle,
} from '../../test/fixtures/redis.js';
import type { BenchContext, ChartPanel, Table } from '../lib/context.js';
import { alternate, calibrate, closedLoop, nsPerOp, type Variant } from '../lib/harness.js';
import { benchItem, payloadOfSize } from '../lib/payload.js';
import { bytes, duration, pairedRatio, range, ratioText, si, summarize, type Summary } from '../lib/stats.js';

const HOUR = 3_600_000;

/**
 * A namespace whose L1 never holds anything, so every read of it goes to Redis. The core has no
 * switch that turns L1 off for one namespace; the closest honest setup is an L1 TTL of 0 (an L2
 * hit copied into L1 is already expired) and an L1 share of 0 (a one-byte budget, so the copy is
 * not even stored), with no grace period. An L2 hit still decodes and freezes the value as it
 * would to fill L1: that work is part of the L2 read path.
 */
export const L2_ONLY_NAMESPACE = 'bench-l2';
export const L2_ONLY_POLICY = { l1TtlMs: 0, l1Share: 0, graceMs: 0, l2TtlMs: HOUR, jitter: 0 } as const;

export const VIDCACHE_L2 = 'vidcache wrap (L2 hit, L1 off)';
export const RAW_IOREDIS = 'raw ioredis GET + decode';
export const CACHE_MANAGER_REDIS = 'cache-manager 7 wrap (ioredis-yet store)';

/** Everything the L2 read comparisons need, filled with the hot keys; also used by the profiler. */
export interface L2Fixture {
  readonly hybrid: HybridHandle;
  readonly cache: HybridCacheService;
  readonly raw: Redis;
  readonly cacheManager: Cache;
  readonly hotKeys: number;
  /** Full Redis keys of the hot entries, as vidcache stored them. */
  readonly fullKeys: readonly string[];
  /** Source calls; none may happen once the fixture is filled. */
  readonly loads: { count: number };
  readVidcache(i: number): Promise<unknown>;
  readRaw(i: number): Promise<unknown>;
  readCacheManager(i: number): Promise<unknown>;
  close(): Promise<void>;
}

export async function openL2Fixture(redisUrl: string, hotKeys: number): Promise<L2Fixture> {
  const prefix = uniquePrefix('bench-l2');
  const hybrid = await createHybrid({ prefix, redisUrl, policies: { [L2_ONLY_NAMESPACE]: L2_ONLY_POLICY } });
  const cache = hybrid.cache;
  const raw = rawClient(redisUrl);
  // cache-manager over cache-manager-ioredis-yet, L2 only, the way the compat CACHE_MANAGER builds
  // its Redis tier (its typings target cache-manager 5; at run time it is what KeyvAdapter expects).
  const store = redisInsStore(raw) as unknown as CacheManagerStore;
  const cacheManager = createCache({
    stores: [new Keyv({ store: new KeyvAdapter(store), namespace: `${prefix}:cm` })],
  });
  const keys = Array.from({ length: hotKeys }, (_, i) => ['item', i] as const);
  const fullKeys = keys.map((key) => cache.keyOf(L2_ONLY_NAMESPACE, key));
  const stringKeys = keys.map(([, i]) => `item:${i}`);
  const loads = { count: 0 };
  const load = (i: number) => () => {
    loads.count++;
    return benchItem(i);
  };
  for (let i = 0; i < hotKeys; i++) {
    await cache.wrap(L2_ONLY_NAMESPACE, keys[i]!, load(i));
    await cacheManager.set(stringKeys[i]!, benchItem(i));
  }
  loads.count = 0;
  return {
    hybrid,
    cache,
    raw,
    cacheManager,
    hotKeys,
    fullKeys,
    loads,
    readVidcache: (i) => {
      const k = i % hotKeys;
      return cache.wrap(L2_ONLY_NAMESPACE, keys[k]!, load(k));
    },
    readRaw: async (i) => {
      const bytes = await raw.getBuffer(fullKeys[i % hotKeys]!);
      if (bytes === null) throw new Error('raw GET: hot key missing');
      return (await decodeEntry(bytes)).value;
    },
    readCacheManager: (i) => {
      const k = i % hotKeys;
      return cacheManager.wrap(stringKeys[k]!, load(k));
    },
    async close() {
      await hybrid.close();
      await deletePrefix(raw, prefix);
      raw.disconnect();
    },
  };
}

export interface L2Comparison {
  readonly concurrency: number;
  readonly variants: readonly { name: string; opsPerSec: Summary; vsRaw: Summary }[];
}

export interface CodecRow {
  readonly label: string;
  readonly jsonBytes: number;
  readonly compressed: boolean;
  readonly storedBytes: number;
  readonly encodeNs: Summary;
  readonly decodeNs: Summary;
}

export interface RedisResult {
  readonly hotKeys: number;
  readonly rounds: number;
  readonly runMs: number;
  readonly comparisons: readonly L2Comparison[];
  /** Source calls while L2 hits were measured: 0 means every read was an L2 hit. */
  readonly loadsDuringMeasurement: number;
  readonly l2Errors: number;
  readonly coalesced: number;
  readonly codec: readonly CodecRow[];
}

/**
 * Section 2: reads served by Redis. vidcache's L2 read path (`wrap` on a namespace without L1:
 * L1 miss → single-flight → GET → decode → freeze) against the least any client can do for the
 * same entry (ioredis GET + the same decode) and cache-manager over its Redis store, one at a
 * time and 64 in flight. Then the codec alone per value size, with and without compression.
 */
export async function runRedisHits(ctx: BenchContext): Promise<RedisResult> {
  const { rounds, runMs, hotKeys, concurrencies } = ctx.config.redis;
  const fixture = await openL2Fixture(ctx.config.redisUrl, hotKeys);
  const comparisons: L2Comparison[] = [];
  let l2Errors: number;
  let coalesced: number;
  try {
    for (const concurrency of concurrencies) {
      ctx.log(`redis: 3 variants × ${rounds} rounds of ${runMs} ms at ${concurrency} in flight`);
      const variants: Variant<number>[] = [
        { name: VIDCACHE_L2, run: () => closedLoop(fixture.readVidcache, concurrency, runMs) },
        { name: RAW_IOREDIS, run: () => closedLoop(fixture.readRaw, concurrency, runMs) },
        { name: CACHE_MANAGER_REDIS, run: () => closedLoop(fixture.readCacheManager, concurrency, runMs) },
      ];
      const samples = await alternate(variants, { rounds, warmupRounds: 1 });
      const raw = samples.get(RAW_IOREDIS)!;
      comparisons.push({
        concurrency,
        variants: variants.map(({ name }) => ({
          name,
          opsPerSec: summarize(samples.get(name)!),
          vsRaw: pairedRatio(samples.get(name)!, raw),
        })),
      });
    }
    const stats = fixture.cache.stats();
    l2Errors = stats.l2.errors;
    coalesced = stats.namespaces[L2_ONLY_NAMESPACE]!.coalesced;
  } finally {
    await fixture.close();
  }
  return {
    hotKeys,
    rounds,
    runMs,
    comparisons,
    loadsDuringMeasurement: fixture.loads.count,
    l2Errors,
    coalesced,
    codec: await runCodec(ctx),
  };
}

const CODEC_SIZES = [
  ['1 KB', 1_000],
  ['64 KB', 64_000],
  ['1 MB', 1_000_000],
] as const;

/** The codec alone: encode and decode per value size, plain against deflated (alternating). */
async function runCodec(ctx: BenchContext): Promise<CodecRow[]> {
  const { rounds, batchMs } = ctx.config.codec;
  const rows: CodecRow[] = [];
  for (const [label, size] of CODEC_SIZES) {
    const value = size <= 1_000 ? benchItem(1) : payloadOfSize(size);
    const jsonBytes = JSON.stringify(value).length;
    const modes = [
      { compressed: false, compressAbove: Number.POSITIVE_INFINITY },
      { compressed: true, compressAbove: 0 },
    ];
    const prepared = await Promise.all(
      modes.map(async (mode) => {
        const encoded = await encodeEntry(value, Date.now() + HOUR, mode.compressAbove);
        const encode = async (n: number) => {
          let last: unknown;
          for (let i = 0; i < n; i++) last = await encodeEntry(value, Date.now() + HOUR, mode.compressAbove);
          return last;
        };
        const decode = async (n: number) => {
          let last: unknown;
          for (let i = 0; i < n; i++) last = await decodeEntry(encoded.bytes);
          return last;
        };
        return {
          ...mode,
          storedBytes: encoded.bytes.length,
          encode,
          decode,
          encodeN: await calibrate(encode, batchMs),
          decodeN: await calibrate(decode, batchMs),
        };
      }),
    );
    ctx.log(`codec: ${label}, plain and deflated × ${rounds} rounds`);
    const variants: Variant<[number, number]>[] = prepared.map((mode) => ({
      name: mode.compressed ? 'deflate' : 'plain',
      run: async () => [await nsPerOp(mode.encode, mode.encodeN), await nsPerOp(mode.decode, mode.decodeN)],
    }));
    const samples = await alternate(variants, { rounds, warmupRounds: 1 });
    for (const mode of prepared) {
      const pairs = samples.get(mode.compressed ? 'deflate' : 'plain')!;
      rows.push({
        label,
        jsonBytes,
        compressed: mode.compressed,
        storedBytes: mode.storedBytes,
        encodeNs: summarize(pairs.map(([encode]) => encode)),
        decodeNs: summarize(pairs.map(([, decode]) => decode)),
      });
    }
  }
  return rows;
}

export function redisTables(result: RedisResult): Table[] {
  return [
    {
      title: `2. Redis hits, L1 off (${result.hotKeys} hot keys, ${result.rounds} rounds of ${result.runMs} ms)`,
      columns: ['variant', 'in flight', 'ops/s median (min–max)', '× raw GET + decode'],
      rows: result.comparisons.flatMap((comparison) =>
        comparison.variants.map((v) => [
          v.name,
          String(comparison.concurrency),
          range(v.opsPerSec, si),
          `${ratioText(v.vsRaw.median)} (${ratioText(v.vsRaw.min)}–${ratioText(v.vsRaw.max)})`,
        ]),
      ),
      notes: [
        `source loads during measurement (must be 0): ${result.loadsDuringMeasurement}; L2 errors: ${result.l2Errors}; coalesced reads: ${result.coalesced}`,
        `"L1 off": namespace policy ${JSON.stringify(L2_ONLY_POLICY)} (the core has no per-namespace L1 switch).`,
      ],
    },
    {
      title: '2b. Codec per value size (V8 serialization; deflate forced on or off)',
      columns: ['value', 'JSON size', 'stored', 'encode median (min–max)', 'decode median (min–max)'],
      rows: result.codec.map((row) => [
        `${row.label}${row.compressed ? ' deflated' : ' plain'}`,
        bytes(row.jsonBytes),
        bytes(row.storedBytes),
        range(row.encodeNs, duration),
        range(row.decodeNs, duration),
      ]),
    },
  ];
}

export function redisPanels(result: RedisResult): ChartPanel[] {
  return result.comparisons.map((comparison) => ({
    title: `2. Redis hit throughput, ${comparison.concurrency} in flight (ops/s, higher is better)`,
    unit: 'ops/s',
    scale: 'linear' as const,
    marker:
      comparison.concurrency === 64
        ? {
            value: 0.8 * comparison.variants.find((v) => v.name === RAW_IOREDIS)!.opsPerSec.median,
            label: 'target 0.8× raw',
          }
        : undefined,
    bars: comparison.variants.map((v) => ({
      label: v.name,
      summary: v.opsPerSec,
      note: `${si(v.opsPerSec.median)} · ${ratioText(v.vsRaw.median)} raw`,
      ours: v.name.startsWith('vidcache'),
    })),
  }));
}
