import { cpus } from 'node:os';
import { parsePinMode, type PinMode } from './placement.js';

export const SECTION_IDS = [
  'in-process',
  'redis',
  'http',
  'stampede',
  'replay',
  'memory',
  'l1-policy',
  'l1-service',
] as const;
export type SectionId = (typeof SECTION_IDS)[number];

/**
 * Every knob of a run, resolved once from the environment. `BENCH_QUICK=1` shrinks every duration
 * and size so the whole suite runs in about a minute (to build and debug it); the numbers it gives
 * are not the ones to quote.
 */
export interface BenchConfig {
  readonly quick: boolean;
  /** Results are written to `bench/results/<name>.{json,md,svg}`. */
  readonly name: string;
  readonly sections: readonly SectionId[];
  readonly redisUrl: string;
  /** `always`: profile the hit paths even when every target is met; `never`: skip profiling. */
  readonly profile: 'missed' | 'always' | 'never';
  /** `BENCH_PIN`: the HTTP section's load generator and servers on CPUs of their own (bench/lib/placement.ts). */
  readonly pin: PinMode;
  readonly inProcess: { rounds: number; batchMs: number; hotKeys: number };
  readonly redis: { rounds: number; runMs: number; hotKeys: number; concurrencies: readonly number[] };
  readonly codec: { rounds: number; batchMs: number };
  readonly http: {
    rounds: number;
    durationS: number;
    connections: number;
    ids: number;
    /** Requests of each miss round, each for a video never read before (the seed has 20,000). */
    missRequests: number;
  };
  readonly stampede: { rounds: number; callers: number; sourceMs: number };
  readonly replay: {
    seedScale: number;
    operations: number;
    /** Operations at the start that fill the cache; reported apart as the cold start. */
    warmupOperations: number;
    writeShare: number;
    zipfExponent: number;
    concurrency: number;
    l1Fraction: number;
  };
  readonly memory: { entries: number };
  /** The eviction-policy simulation: traces over `keys` keys through an L1 of `capacity` entries. */
  readonly l1Policy: {
    capacity: number;
    keys: number;
    warmup: number;
    measured: number;
    crawl: number;
    rounds: number;
    batchMs: number;
  };
  /** The L1 policy through the real service: Zipf reads of `videos` videos, a crawl of `crawl` others. */
  readonly l1Service: {
    videos: number;
    crawl: number;
    capacity: number;
    warmup: number;
    measured: number;
    concurrency: number;
  };
}

export function loadBenchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const pick = <T>(full: T, short: T) => (quick ? short : full);
  const only = env.BENCH_ONLY?.split(',').map((id) => id.trim());
  for (const id of only ?? []) {
    if (!(SECTION_IDS as readonly string[]).includes(id))
      throw new Error(`BENCH_ONLY: unknown section "${id}" (sections: ${SECTION_IDS.join(', ')})`);
  }
  const profile = env.BENCH_PROFILE ?? 'missed';
  if (profile !== 'missed' && profile !== 'always' && profile !== 'never')
    throw new Error(`BENCH_PROFILE must be missed, always or never (got "${profile}")`);
  const day = new Date().toISOString().slice(0, 10);
  return {
    quick,
    name: env.BENCH_NAME ?? `${quick ? 'quick-' : ''}${day}-${cpus().length}cpu`,
    sections: only ? SECTION_IDS.filter((id) => only.includes(id)) : SECTION_IDS,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    profile,
    pin: parsePinMode(env.BENCH_PIN),
    inProcess: { rounds: pick(9, 3), batchMs: pick(200, 40), hotKeys: 1_000 },
    redis: { rounds: pick(6, 2), runMs: pick(1_000, 200), hotKeys: 1_000, concurrencies: [1, 64] },
    codec: { rounds: pick(5, 2), batchMs: pick(150, 30) },
    http: {
      // Many short rounds: this VM's CPU speed swings for seconds at a time (bench/README.md, "The
      // VM's CPU speed swings"), and a median of many paired rounds is steadier than a few long ones.
      rounds: pick(10, 1),
      durationS: pick(2, 1),
      connections: 32,
      ids: 1_000,
      missRequests: pick(1_500, 1_000),
    },
    stampede: { rounds: pick(5, 2), callers: 1_000, sourceMs: 20 },
    replay: {
      seedScale: pick(1, 0.1),
      // Page views (two reads each) or writes: about 290,000 reads per run, twice (warming off, on).
      operations: pick(150_000, 15_000),
      warmupOperations: pick(30_000, 3_000),
      writeShare: 0.05,
      zipfExponent: 0.99,
      concurrency: 16,
      l1Fraction: 0.1,
    },
    memory: { entries: pick(20_000, 5_000) },
    l1Policy: {
      capacity: 2_000,
      keys: 20_000,
      warmup: pick(100_000, 40_000),
      measured: pick(300_000, 60_000),
      crawl: 6_000,
      rounds: pick(9, 3),
      batchMs: pick(200, 40),
    },
    // 24,000 counted reads: a hit ratio near 75% is then known to ±0.6 points (95%). The warm-up is
    // l1Policy's: tinylfu's hit ratio still climbs while the sketch learns the hot set (simulated on
    // this trace: 73.0% after 30,000 reads of warm-up, 74.2% after 60,000, 74.5% after 100,000).
    l1Service: {
      videos: 20_000,
      crawl: 6_000,
      capacity: 2_000,
      warmup: pick(100_000, 6_000),
      measured: pick(24_000, 6_000),
      concurrency: 4,
    },
  };
}
