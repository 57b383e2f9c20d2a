import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createCache } from 'cache-manager';
import { LRUCache } from 'lru-cache';
import {
  Cacheable,
  CacheModule,
  HybridCacheService,
  type CacheModuleOptions,
} from '../../src/cache/index.js';
import { deletePrefix, rawClient, uniquePrefix } from '../../test/fixtures/redis.js';
import { alternate, calibrate, nsPerOp, type Batch, type Variant } from '../lib/harness.js';
import type { BenchContext, ChartPanel, Measured, Table } from '../lib/context.js';
import { benchItem, type BenchItem } from '../lib/payload.js';
import { duration, pairedRatio, range, ratioText, si, summarize, type Summary } from '../lib/stats.js';

const HOUR = 3_600_000;
/** The namespace the in-process section caches under: an hour in both tiers, no early refresh. */
export const BENCH_NAMESPACE = 'bench';
/**
 * The same policy with L1 evicting by `lru`, as every namespace did before W-TinyLFU: the hit
 * cost of both is measured side by side. Its small share leaves the other sections' slices as
 * they were (the 1,000 hot keys fit in it many times over).
 */
const BENCH_LRU_NAMESPACE = 'bench-lru';

export const benchCacheOptions = (prefix: string, redisUrl: string | undefined): CacheModuleOptions => ({
  prefix,
  redisUrl,
  policies: {
    [BENCH_NAMESPACE]: { l1TtlMs: HOUR, l2TtlMs: HOUR, l1Share: 0.3, jitter: 0 },
    [BENCH_LRU_NAMESPACE]: { l1TtlMs: HOUR, l2TtlMs: HOUR, l1Share: 0.05, jitter: 0, eviction: 'lru' },
  },
});

/** A provider as a feature module would write it: one plain method, one `@Cacheable` method. */
@Injectable()
export class BenchItemsService {
  /** Calls of the cached method's body, i.e. loads: must not grow while hits are measured. */
  loads = 0;
  private readonly constantItem = benchItem(0);

  /** The floor: a plain method returning a constant. */
  constant(_id: number): BenchItem {
    return this.constantItem;
  }

  /** The same, as a promise (what the cached methods return), awaited by the caller. */
  async constantAsync(_id: number): Promise<BenchItem> {
    return this.constantItem;
  }

  @Cacheable({ namespace: BENCH_NAMESPACE, key: (id: number) => ['item', id] })
  item(id: number): Promise<BenchItem> {
    this.loads++;
    return Promise.resolve(benchItem(id));
  }

  /** {@link item} in a namespace whose L1 evicts by `lru`. */
  @Cacheable({ namespace: BENCH_LRU_NAMESPACE, key: (id: number) => ['item', id] })
  itemLru(id: number): Promise<BenchItem> {
    this.loads++;
    return Promise.resolve(benchItem(id));
  }
}

@Module({})
export class BenchItemsModule {
  static register(options: CacheModuleOptions): DynamicModule {
    return {
      module: BenchItemsModule,
      imports: [CacheModule.forRoot(options)],
      providers: [BenchItemsService],
    };
  }
}

export interface InProcessVariant {
  readonly name: string;
  /** `sync`: the loop calls it; `awaited`: the loop awaits each call, as a caller of a cache does. */
  readonly kind: 'sync' | 'awaited';
  readonly nsPerOp: Summary;
  readonly opsPerSec: Summary;
  /** Throughput relative to cache-manager's wrap, round by round. */
  readonly vsCacheManager: Summary;
}

export interface InProcessResult {
  readonly hotKeys: number;
  /** The @Cacheable hit's cost with tinylfu (the default) over its cost with lru, round by round. */
  readonly tinylfuVsLru: Summary;
  readonly valueJsonBytes: number;
  readonly rounds: number;
  readonly variants: readonly InProcessVariant[];
  /** Loads that ran while hits were measured (each variant): 0 means every measured call was a hit. */
  readonly loadsDuringMeasurement: Record<string, number>;
}

export const CACHEABLE = 'vidcache @Cacheable (L1 hit)';
export const CACHEABLE_LRU = 'vidcache @Cacheable (L1 hit, eviction: lru)';
export const CACHE_MANAGER_WRAP = 'cache-manager 7 wrap (hit)';

/**
 * Section 1: a hit on a hot key, in-process, for every cache, ~1 KB values and 1,000 hot keys.
 * vidcache runs as the service runs it: a Nest application context with the project's
 * `CacheModule` (Redis attached as L2, not touched by an L1 hit) and a provider whose method
 * carries `@Cacheable`, wired by the explorer.
 */
export async function runInProcess(ctx: BenchContext): Promise<InProcessResult> {
  const { rounds, batchMs, hotKeys } = ctx.config.inProcess;
  const prefix = uniquePrefix('bench-hits');
  const app = await NestFactory.createApplicationContext(
    BenchItemsModule.register(benchCacheOptions(prefix, ctx.config.redisUrl)),
    { logger: ['error', 'warn'] },
  );
  const redis = rawClient(ctx.config.redisUrl);
  try {
    const service = app.get(BenchItemsService);
    const hybrid = app.get(HybridCacheService);
    const keyList = Array.from({ length: hotKeys }, (_, i) => ['item', i] as const);
    const stringKeys = keyList.map(([, i]) => `item:${i}`);
    const loaded = { lru: 0, wrap: 0, cacheManager: 0, bento: 0, bentoRaw: 0 };

    const lru = new LRUCache<string, BenchItem>({ max: hotKeys * 2 });
    for (let i = 0; i < hotKeys; i++) lru.set(stringKeys[i]!, benchItem(i));
    const cacheManager = createCache();
    const bento = new BentoCache({
      default: 'memory',
      stores: { memory: bentostore().useL1Layer(memoryDriver()) },
    });
    const bentoRaw = new BentoCache({
      default: 'memory',
      stores: { memory: bentostore().useL1Layer(memoryDriver({ serialize: false })) },
    });

    const batches: { name: string; kind: 'sync' | 'awaited'; batch: Batch }[] = [
      {
        name: 'plain method (floor)',
        kind: 'sync',
        batch: (n) => {
          let last: unknown;
          for (let i = 0; i < n; i++) last = service.constant(i % hotKeys);
          return last;
        },
      },
      {
        name: 'plain async method (awaited floor)',
        kind: 'awaited',
        batch: async (n) => {
          let last: unknown;
          for (let i = 0; i < n; i++) last = await service.constantAsync(i % hotKeys);
          return last;
        },
      },
      {
        name: 'lru-cache get',
        kind: 'sync',
        batch: (n) => {
          let last: unknown;
          for (let i = 0; i < n; i++) last = lru.get(stringKeys[i % hotKeys]!);
          return last;
        },
      },
      {
        name: CACHEABLE,
        kind: 'awaited',
        batch: async (n) => {
          let last: unknown;
          for (let i = 0; i < n; i++) last = await service.item(i % hotKeys);
          return last;
        },
      },
      {
        name: CACHEABLE_LRU,
        kind: 'awaited',
        batch: async (n) => {
          let last: unknown;
          for (let i = 0; i < n; i++) last = await service.itemLru(i % hotKeys);
          return last;
        },
      },
      {
        name: 'vidcache HybridCacheService.wrap (L1 hit)',
        kind: 'awaited',
        batch: async (n) => {
          let last: unknown;
          for (let i = 0; i < n; i++) {
            const k = i % hotKeys;
            last = await hybrid.wrap(BENCH_NAMESPACE, keyList[k]!, () => {
              loaded.wrap++;
              return benchItem(k);
            });
          }
          return last;
        },
      },
      {
        name: CACHE_MANAGER_WRAP,
        kind: 'awaited',
        batch: async (n) => {
          let last: unknown;
          for (let i = 0; i < n; i++) {
            const k = i % hotKeys;
            last = await cacheManager.wrap(stringKeys[k]!, () => {
              loaded.cacheManager++;
              return benchItem(k);
            });
          }
          return last;
        },
      },
      {
        name: 'bentocache getOrSet (hit, defaults)',
        kind: 'awaited',
        batch: async (n) => {
          let last: unknown;
          for (let i = 0; i < n; i++) {
            const k = i % hotKeys;
            last = await bento.getOrSet({
              key: stringKeys[k]!,
              factory: () => {
                loaded.bento++;
                return benchItem(k);
              },
            });
          }
          return last;
        },
      },
      {
        name: 'bentocache getOrSet (hit, L1 serialize: false)',
        kind: 'awaited',
        batch: async (n) => {
          let last: unknown;
          for (let i = 0; i < n; i++) {
            const k = i % hotKeys;
            last = await bentoRaw.getOrSet({
              key: stringKeys[k]!,
              factory: () => {
                loaded.bentoRaw++;
                return benchItem(k);
              },
            });
          }
          return last;
        },
      },
    ];

    // Fill every cache with the hot keys (one miss each), then calibrate each batch to ~batchMs.
    for (const { batch } of batches) await batch(hotKeys);
    const loadsBefore = { cacheable: service.loads, ...loaded };
    const sizes = new Map<string, number>();
    for (const { name, batch } of batches) sizes.set(name, await calibrate(batch, batchMs));
    ctx.log(`in-process: ${batches.length} variants × ${rounds} rounds of ~${batchMs} ms`);

    const variants: Variant<number>[] = batches.map(({ name, batch }) => ({
      name,
      run: () => nsPerOp(batch, sizes.get(name)!),
    }));
    const samples = await alternate(variants, { rounds, warmupRounds: 1 });

    const cmSamples = samples.get(CACHE_MANAGER_WRAP)!;
    return {
      hotKeys,
      tinylfuVsLru: pairedRatio(samples.get(CACHEABLE)!, samples.get(CACHEABLE_LRU)!),
      valueJsonBytes: JSON.stringify(benchItem(1)).length,
      rounds,
      variants: batches.map(({ name, kind }) => {
        const ns = samples.get(name)!;
        return {
          name,
          kind,
          nsPerOp: summarize(ns),
          opsPerSec: summarize(ns.map((value) => 1e9 / value)),
          vsCacheManager: pairedRatio(cmSamples, ns),
        };
      }),
      loadsDuringMeasurement: {
        '@Cacheable (tinylfu and lru)': service.loads - loadsBefore.cacheable,
        wrap: loaded.wrap - loadsBefore.wrap,
        [CACHE_MANAGER_WRAP]: loaded.cacheManager - loadsBefore.cacheManager,
        bentocache: loaded.bento - loadsBefore.bento,
        'bentocache (serialize: false)': loaded.bentoRaw - loadsBefore.bentoRaw,
      },
    };
  } finally {
    await app.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
}

export function inProcessMeasured(result: InProcessResult): Measured[] {
  return result.variants.map((v) => ({ name: v.name, unit: 'ns/op', summary: v.nsPerOp }));
}

export function inProcessTables(result: InProcessResult): Table[] {
  return [
    {
      title: `1. In-process hits (~${result.valueJsonBytes} B value as JSON, ${result.hotKeys} hot keys, ${result.rounds} rounds)`,
      columns: ['variant', 'call', 'ns/op median (min–max)', 'ops/s median', '× cache-manager wrap'],
      rows: result.variants.map((v) => [
        v.name,
        v.kind,
        range(v.nsPerOp, duration),
        si(v.opsPerSec.median),
        ratioText(v.vsCacheManager.median),
      ]),
      notes: [
        `loads during measurement (must all be 0): ${Object.entries(result.loadsDuringMeasurement)
          .map(([name, count]) => `${name} ${count}`)
          .join(', ')}`,
        '"awaited" rows include the await of the returned promise, as any caller of an async cache pays it.',
        `@Cacheable L1 hit, tinylfu (the default) ÷ lru, round by round: ${ratioText(result.tinylfuVsLru.median)} (rounds ${ratioText(result.tinylfuVsLru.min)}–${ratioText(result.tinylfuVsLru.max)})`,
      ],
    },
  ];
}

export function inProcessPanels(result: InProcessResult): ChartPanel[] {
  return [
    {
      title: '1. In-process hit: ns per operation (log scale, lower is better)',
      unit: 'ns',
      scale: 'log',
      marker: { value: 300, label: 'target ≤ 300 ns' },
      bars: result.variants.map((v) => ({
        label: v.name,
        summary: v.nsPerOp,
        note: duration(v.nsPerOp.median),
        ours: v.name.startsWith('vidcache'),
      })),
    },
  ];
}
