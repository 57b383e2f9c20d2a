import { performance } from 'node:perf_hooks';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createCache } from 'cache-manager';
import { createHybrid, deletePrefix, rawClient, uniquePrefix } from '../../test/fixtures/redis.js';
import type { BenchContext, ChartPanel, Table } from '../lib/context.js';
import { alternate, sleep, type Variant } from '../lib/harness.js';
import { benchItem } from '../lib/payload.js';
import { range, summarize, type Summary } from '../lib/stats.js';
import { BENCH_NAMESPACE, benchCacheOptions } from './in-process.js';

export interface StampedeVariant {
  readonly name: string;
  /** Source calls per round: every one must be 1. */
  readonly sourceCalls: readonly number[];
  readonly wallMs: Summary;
  /** Callers that got something other than the loaded value (must be 0). */
  readonly wrongResults: number;
}

export interface StampedeResult {
  readonly callers: number;
  readonly sourceMs: number;
  readonly rounds: number;
  readonly variants: readonly StampedeVariant[];
}

export const VIDCACHE_STAMPEDE = 'vidcache wrap (L1 + Redis)';

/**
 * Section 4: `callers` concurrent reads of a cold key whose source takes `sourceMs`; each round
 * uses a new key. vidcache runs with Redis as L2 (its production shape: the load also reads L2 and
 * stores through the conditional script) and memory-only; the others run on their in-memory store.
 */
export async function runStampede(ctx: BenchContext): Promise<StampedeResult> {
  const { rounds, callers, sourceMs } = ctx.config.stampede;
  const prefix = uniquePrefix('bench-stampede');
  const withRedis = await createHybrid(benchCacheOptions(prefix, ctx.config.redisUrl));
  const memoryOnly = await createHybrid(benchCacheOptions(`${prefix}-mem`, undefined));
  const cacheManager = createCache();
  const bento = new BentoCache({
    default: 'memory',
    stores: { memory: bentostore().useL1Layer(memoryDriver()) },
  });
  const redis = rawClient(ctx.config.redisUrl);
  const wrong = new Map<string, number>();
  try {
    const stampede =
      (name: string, read: (key: string, load: () => Promise<unknown>) => Promise<unknown>) =>
      async (round: number): Promise<[calls: number, ms: number]> => {
        const key = `cold-${round + 10}`;
        const value = benchItem(round + 10);
        let calls = 0;
        const load = async () => {
          calls++;
          await sleep(sourceMs);
          return value;
        };
        const started = performance.now();
        const results = await Promise.all(Array.from({ length: callers }, () => read(key, load)));
        const ms = performance.now() - started;
        const bad = results.filter((result) => (result as { id?: string } | null)?.id !== value.id).length;
        wrong.set(name, (wrong.get(name) ?? 0) + bad);
        return [calls, ms];
      };
    const variants: Variant<[number, number]>[] = [
      {
        name: VIDCACHE_STAMPEDE,
        run: stampede(VIDCACHE_STAMPEDE, (key, load) =>
          withRedis.cache.wrap(BENCH_NAMESPACE, ['stampede', key], load),
        ),
      },
      {
        name: 'vidcache wrap (memory only)',
        run: stampede('vidcache wrap (memory only)', (key, load) =>
          memoryOnly.cache.wrap(BENCH_NAMESPACE, ['stampede', key], load),
        ),
      },
      {
        name: 'cache-manager 7 wrap',
        run: stampede('cache-manager 7 wrap', (key, load) => cacheManager.wrap(key, load)),
      },
      {
        name: 'bentocache getOrSet',
        run: stampede('bentocache getOrSet', (key, factory) => bento.getOrSet({ key, factory })),
      },
    ];
    ctx.log(`stampede: ${variants.length} variants × ${rounds} rounds of ${callers} callers`);
    const samples = await alternate(variants, { rounds, warmupRounds: 1 });
    return {
      callers,
      sourceMs,
      rounds,
      variants: variants.map(({ name }) => ({
        name,
        sourceCalls: samples.get(name)!.map(([calls]) => calls),
        wallMs: summarize(samples.get(name)!.map(([, ms]) => ms)),
        wrongResults: wrong.get(name) ?? 0,
      })),
    };
  } finally {
    await withRedis.close();
    await memoryOnly.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
}

export function stampedeTables(result: StampedeResult): Table[] {
  return [
    {
      title: `4. Stampede (${result.callers} concurrent calls on a cold key, source takes ${result.sourceMs} ms, ${result.rounds} rounds)`,
      columns: ['variant', 'source calls per round', 'wall time median (min–max)', 'wrong results'],
      rows: result.variants.map((v) => [
        v.name,
        v.sourceCalls.join(', '),
        range(v.wallMs, (ms) => `${ms.toFixed(1)} ms`),
        String(v.wrongResults),
      ]),
    },
  ];
}

export function stampedePanels(result: StampedeResult): ChartPanel[] {
  return [
    {
      title: `4. Stampede: wall time of ${result.callers} calls on a cold key (ms, lower is better; source = ${result.sourceMs} ms)`,
      unit: 'ms',
      scale: 'linear',
      bars: result.variants.map((v) => ({
        label: v.name,
        summary: v.wallMs,
        note: `${v.wallMs.median.toFixed(1)} ms · ${Math.max(...v.sourceCalls)} source call(s)`,
        ours: v.name.startsWith('vidcache'),
      })),
    },
  ];
}
