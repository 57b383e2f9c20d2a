import { fullKey } from '../../src/cache/cache-keys.js';
import { resolveCacheOptions } from '../../src/cache/cache-options.js';
import type { L1Eviction } from '../../src/cache/cache-policy.js';
import { MemoryStore } from '../../src/cache/stores/memory.store.js';
import type { BenchContext, Table } from '../lib/context.js';
import { alternate, calibrate, nsPerOp, type Variant } from '../lib/harness.js';
import { duration, pairedRatio, percent, range, ratioText, summarize, type Summary } from '../lib/stats.js';
import {
  belady,
  frequencyOracle,
  loopTrace,
  recencyTrace,
  replayTrace,
  zipfTrace,
  type Trace,
} from '../lib/traces.js';
import { generateOperations } from './replay.js';

const PREFIX = 'sim';
const NAMESPACE = 'sim';
const HOUR = 3_600_000;

export interface L1PolicyRow {
  readonly trace: string;
  readonly reads: number;
  readonly lru: number;
  readonly tinylfu: number;
  /** tinylfu's own estimate, from its ghost list, of its hit ratio at twice the capacity. */
  readonly tinylfuAt2x: number;
  readonly oracle: number;
  readonly belady: number;
}

export interface L1PolicyResult {
  readonly capacity: number;
  readonly rows: readonly L1PolicyRow[];
  /** A probe hit on a warm slice (1,000 hot keys), each policy alternately. */
  readonly hitCost: { readonly lru: Summary; readonly tinylfu: Summary; readonly ratio: Summary };
}

/** Row names the targets refer to. */
export const ZIPF_099_CRAWL = 'zipf-0.99-crawl';
export const RECENCY = 'recency';

/** An L1 with one namespace holding exactly `capacity` entries (bytes are not the bound here). */
export function simulatedL1(eviction: L1Eviction, capacity: number) {
  const store = new MemoryStore(
    resolveCacheOptions({
      prefix: PREFIX,
      now: () => 0,
      l1: { maxEntries: capacity, maxBytes: 2 ** 40 },
      namespaces: { [NAMESPACE]: { l1Share: 1, eviction, l1TtlMs: HOUR, l2TtlMs: HOUR } },
    }),
  );
  return { store, slice: store.slice(NAMESPACE) };
}

/** Runs a trace through our L1 as the hybrid cache drives it: probe, and on a miss, put. */
export function replayThroughL1(trace: Trace, eviction: L1Eviction, capacity: number) {
  const { store, slice } = simulatedL1(eviction, capacity);
  const fullKeys = Array.from({ length: trace.keySpace }, (_, id) => fullKey(PREFIX, NAMESPACE, ['k', id]));
  const relativeKeys = fullKeys.map((key) => key.slice(slice.prefix.length));
  let hits = 0;
  let reads = 0;
  let ghostBase = { lookups: 0, hits: 0, ghostHits: 0 };
  for (let i = 0; i < trace.ops.length; i++) {
    if (i === trace.measureFrom) {
      ghostBase = { lookups: slice.lookups, hits: slice.hits, ghostHits: slice.ghosts.ghostHits };
    }
    const op = trace.ops[i]!;
    if (op < 0) {
      store.drop(NAMESPACE, fullKeys[-op - 1]!);
      continue;
    }
    const hit = store.probe(slice, relativeKeys[op]!, 0) !== undefined;
    if (!hit) store.put(NAMESPACE, fullKeys[op]!, { value: op, freshUntil: HOUR, graceMs: 0 });
    if (i >= trace.measureFrom) {
      reads++;
      if (hit) hits++;
    }
  }
  const lookups = slice.lookups - ghostBase.lookups;
  const at2x = (slice.hits - ghostBase.hits + slice.ghosts.ghostHits - ghostBase.ghostHits) / lookups;
  return { hitRatio: hits / reads, reads, at2x };
}

/** The traces of the comparison, sized by the bench's configuration. */
export function policyTraces(config: BenchContext['config']['l1Policy']): Record<string, Trace> {
  const { keys, warmup, measured, crawl } = config;
  const zipf = (exponent: number, withCrawl: boolean) =>
    zipfTrace({ keys, exponent, warmup, measured, crawl: withCrawl ? crawl : 0, seed: 7_919 });
  const replayKeys = keys;
  return {
    'zipf-0.8': zipf(0.8, false),
    'zipf-0.8-crawl': zipf(0.8, true),
    'zipf-0.99': zipf(0.99, false),
    [ZIPF_099_CRAWL]: zipf(0.99, true),
    // The reads right after the crawl, where LRU pays for it: it must win its hot set back.
    'zipf-0.99-crawl-next-20k': zipfTrace({
      keys,
      exponent: 0.99,
      warmup,
      measured: 20_000,
      crawl,
      seed: 7_919,
    }),
    loop: loopTrace(Math.round(config.capacity * 1.5), warmup + measured),
    [RECENCY]: recencyTrace({
      total: warmup + measured,
      reuse: 0.8,
      meanDistance: Math.round(config.capacity / 4),
      seed: 104_729,
    }),
    replay: replayTrace(generateOperations(replayKeys, warmup + measured, 0.05, 0.99), replayKeys, warmup),
  };
}

/**
 * The L1 policy section: the same traces, at the same capacity, through our L1 with `lru` and with
 * `tinylfu`, against the frequency oracle and Bélády's optimum; then the cost of a hit under each.
 */
export async function runL1Policy(ctx: BenchContext): Promise<L1PolicyResult> {
  const config = ctx.config.l1Policy;
  const capacity = config.capacity;
  const rows: L1PolicyRow[] = [];
  for (const [id, trace] of Object.entries(policyTraces(config))) {
    const lru = replayThroughL1(trace, 'lru', capacity);
    const tinylfu = replayThroughL1(trace, 'tinylfu', capacity);
    rows.push({
      trace: id,
      reads: tinylfu.reads,
      lru: lru.hitRatio,
      tinylfu: tinylfu.hitRatio,
      tinylfuAt2x: tinylfu.at2x,
      oracle: frequencyOracle(trace, capacity),
      belady: belady(trace, capacity),
    });
    ctx.log(`l1-policy: ${id} (${trace.name}) done`);
  }
  return { capacity, rows, hitCost: await measureHitCost(config.rounds, config.batchMs) };
}

/** A probe hit on each policy, alternately: the cost the policy adds to every L1 hit. */
async function measureHitCost(rounds: number, batchMs: number): Promise<L1PolicyResult['hitCost']> {
  const hotKeys = 1_000;
  const fullKeys = Array.from({ length: hotKeys }, (_, i) => fullKey(PREFIX, NAMESPACE, ['item', i]));
  const batches = (['lru', 'tinylfu'] as const).map((eviction) => {
    const { store, slice } = simulatedL1(eviction, hotKeys * 4);
    for (const key of fullKeys) store.put(NAMESPACE, key, { value: { key }, freshUntil: HOUR, graceMs: 0 });
    const keys = fullKeys.map((key) => key.slice(slice.prefix.length));
    const batch = (n: number) => {
      let last: unknown;
      for (let i = 0; i < n; i++) last = store.probe(slice, keys[i % hotKeys]!, 0);
      if (last === undefined) throw new Error('l1-policy: a hit-cost probe missed');
      return last;
    };
    return { eviction, batch };
  });
  const sizes = new Map<string, number>();
  for (const { eviction, batch } of batches) sizes.set(eviction, await calibrate(batch, batchMs));
  const variants: Variant<number>[] = batches.map(({ eviction, batch }) => ({
    name: eviction,
    run: () => nsPerOp(batch, sizes.get(eviction)!),
  }));
  const samples = await alternate(variants, { rounds, warmupRounds: 1 });
  const lru = samples.get('lru')!;
  const tinylfu = samples.get('tinylfu')!;
  return { lru: summarize(lru), tinylfu: summarize(tinylfu), ratio: pairedRatio(tinylfu, lru) };
}

export function l1PolicyTables(result: L1PolicyResult): Table[] {
  const points = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}`;
  return [
    {
      title: `6. L1 eviction policy: hit ratio at ${result.capacity} entries, same traces (higher is better)`,
      columns: [
        'trace',
        'reads',
        'L1 lru',
        'L1 tinylfu',
        'oracle',
        'Bélády',
        'tinylfu − lru',
        'tinylfu − oracle',
        'tinylfu est. at 2×',
      ],
      rows: result.rows.map((row) => [
        row.trace,
        String(row.reads),
        percent(row.lru),
        percent(row.tinylfu),
        percent(row.oracle),
        percent(row.belady),
        points(row.tinylfu - row.lru),
        points(row.tinylfu - row.oracle),
        percent(row.tinylfuAt2x),
      ]),
      notes: [
        'L1 lru / tinylfu: MemoryStore itself (probe, then put on a miss), one namespace of exactly this many entries.',
        "oracle: holds the most popular keys, known in advance (Zipf: the distribution's top keys; other traces: the most-read keys of the measured part); Bélády: evicts the key read furthest ahead (offline optimum).",
        'Hits are counted after a warm-up (and after the crawl, where there is one); a write invalidates its key in every column.',
        `L1 hit cost (probe, 1,000 hot keys): lru ${range(result.hitCost.lru, duration)}, tinylfu ${range(result.hitCost.tinylfu, duration)}; tinylfu ÷ lru ${ratioText(result.hitCost.ratio.median)} (rounds ${ratioText(result.hitCost.ratio.min)}–${ratioText(result.hitCost.ratio.max)})`,
      ],
    },
  ];
}
