import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { L1Eviction } from '../../src/cache/cache-policy.js';
import type { CacheStatsSnapshot } from '../../src/cache/index.js';
import { SEED_BASE_SIZES } from '../../src/database/seed.js';
import { VIDEO_NAMESPACE } from '../../src/videos/videos.constants.js';
import { AppProcess, buildIfNeeded } from '../../test/fixtures/app-process.js';
import { deletePrefix, rawClient, uniquePrefix } from '../../test/fixtures/redis.js';
import type { BenchContext, Table } from '../lib/context.js';
import { REPO_ROOT } from '../lib/paths.js';
import { replayThroughService, videoL1Env, type ServiceReads } from '../lib/service-replay.js';
import { percent } from '../lib/stats.js';
import { belady, frequencyOracle, zipfTrace } from '../lib/traces.js';
import { replayThroughL1 } from './l1-policy.js';

const EVICTIONS: readonly L1Eviction[] = ['tinylfu', 'lru'];
const TRACE_SEED = 7_919;

/** One start of the service, its video namespace's L1 under one eviction policy. */
export interface L1ServiceRun {
  readonly eviction: L1Eviction;
  /** The reads after the warm-up and the crawl, by the tier that answered (`Cache-Status`). */
  readonly measured: ServiceReads;
  readonly l1HitRatio: number;
  /** Video L1 entries at the end: the slice is full and bounded at the capacity. */
  readonly l1Entries: number;
  /** Bus deafness while the measured reads ran (a deaf replica answers from L2, not L1). */
  readonly deafPeriods: number;
  readonly deafMs: number;
  readonly measuredSeconds: number;
  readonly bootSeconds: number;
}

export interface L1ServiceResult {
  readonly videos: number;
  readonly crawl: number;
  readonly capacity: number;
  readonly warmup: number;
  readonly concurrency: number;
  readonly runs: readonly L1ServiceRun[];
  /** The same trace through MemoryStore alone, and the two reference policies. */
  readonly simulated: Record<L1Eviction, number>;
  readonly oracle: number;
  readonly belady: number;
}

/**
 * The L1 policy through the real service: `node --enable-source-maps dist/main.js` (as `npm start`
 * runs it) on embedded PGlite, with the video namespace's L1 holding `capacity` entries. A
 * Zipf(0.99) stream of `GET /videos/:id` over `videos` seeded videos is interrupted by one crawl of
 * `crawl` other seeded videos, read once each; the L1 hits of the reads after the crawl are
 * counted from `Cache-Status` and set against the same trace simulated (MemoryStore with `lru` and
 * `tinylfu`), the frequency oracle and Bélády. Warm-up on boot and predictive warming are off, so
 * that nothing but the trace fills L1.
 */
export async function runL1Service(ctx: BenchContext): Promise<L1ServiceResult> {
  const config = ctx.config.l1Service;
  const { videos, crawl, capacity, warmup, measured, concurrency } = config;
  const trace = zipfTrace({ keys: videos, exponent: 0.99, warmup, measured, crawl, seed: TRACE_SEED });
  buildIfNeeded(REPO_ROOT);
  const runs: L1ServiceRun[] = [];
  for (const eviction of EVICTIONS) {
    runs.push(await runService(ctx, eviction, trace));
    const run = runs.at(-1)!;
    ctx.log(
      `l1-service: ${eviction}: ${percent(run.l1HitRatio)} L1 hits of ${run.measured.reads} reads (${run.measured.l2} l2, ${run.deafPeriods} deaf periods)`,
    );
  }
  return {
    videos,
    crawl,
    capacity,
    warmup,
    concurrency,
    runs,
    simulated: {
      tinylfu: replayThroughL1(trace, 'tinylfu', capacity).hitRatio,
      lru: replayThroughL1(trace, 'lru', capacity).hitRatio,
    },
    oracle: frequencyOracle(trace, capacity),
    belady: belady(trace, capacity),
  };

  async function runService(
    context: BenchContext,
    eviction: L1Eviction,
    zipf: ReturnType<typeof zipfTrace>,
  ): Promise<L1ServiceRun> {
    const prefix = uniquePrefix('bench-l1-service');
    const token = randomUUID();
    const app = new AppProcess(
      {
        DATA_DIR: 'memory://',
        SEED_ON_START: 'true',
        // The Zipf population and the crawled videos are all seeded: the crawl reads real rows.
        SEED_SCALE: String((videos + crawl) / SEED_BASE_SIZES.videos),
        REDIS_URL: context.config.redisUrl,
        CACHE_PREFIX: prefix,
        ...videoL1Env(eviction, capacity),
        WARMUP_ON_BOOT: 'false',
        PREDICTIVE_WARMING: 'false',
        RATE_LIMIT_MAX: '1000000000',
        ADMIN_TOKEN: token,
        LOG_FORMAT: 'json',
      },
      { cwd: REPO_ROOT, nodeArgs: ['--enable-source-maps'] },
    );
    const booted = performance.now();
    await app.start(180_000);
    const bootSeconds = (performance.now() - booted) / 1000;
    const redis = rawClient(context.config.redisUrl);
    try {
      const read = async (id: string) => {
        const response = await app.fetch(`/videos/${id}`);
        await response.arrayBuffer();
        return { status: response.status, cacheStatus: response.headers.get('cache-status') ?? undefined };
      };
      const stats = async () => {
        const response = await app.fetch('/admin/cache/stats', {
          headers: { authorization: `Bearer ${token}` },
        });
        if (!response.ok) throw new Error(`l1-service: /admin/cache/stats answered ${response.status}`);
        return (await response.json()) as CacheStatsSnapshot;
      };
      await replayThroughService(zipf, read, { from: 0, to: zipf.measureFrom, concurrency });
      const before = await stats();
      const started = performance.now();
      const counts = await replayThroughService(zipf, read, {
        from: zipf.measureFrom,
        to: zipf.ops.length,
        concurrency,
      });
      const measuredSeconds = (performance.now() - started) / 1000;
      const after = await stats();
      const video = after.namespaces[VIDEO_NAMESPACE]!;
      if (video.l1Eviction !== eviction)
        throw new Error(`l1-service: the video namespace runs ${video.l1Eviction}, not ${eviction}`);
      return {
        eviction,
        measured: counts,
        l1HitRatio: counts.l1 / counts.reads,
        l1Entries: video.l1Entries,
        deafPeriods: (after.bus?.deafPeriods ?? 0) - (before.bus?.deafPeriods ?? 0),
        deafMs: (after.bus?.deafMs ?? 0) - (before.bus?.deafMs ?? 0),
        measuredSeconds,
        bootSeconds,
      };
    } finally {
      await app.stop();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  }
}

export function l1ServiceTables(result: L1ServiceResult): Table[] {
  const points = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}`;
  const run = (eviction: L1Eviction) => result.runs.find((r) => r.eviction === eviction)!;
  return [
    {
      title: `7. L1 policy through the service: GET /videos/:id, Zipf(0.99) over ${result.videos} videos, a crawl of ${result.crawl}, L1 of ${result.capacity} videos`,
      columns: [
        'video L1',
        'reads after crawl',
        'L1 hits (Cache-Status)',
        'l2 / source',
        'simulated (same trace)',
        'oracle',
        'Bélády',
        '− oracle',
        'deaf periods (share of the time)',
        'read/s',
      ],
      rows: result.runs.map((r) => [
        r.eviction,
        String(r.measured.reads),
        percent(r.l1HitRatio),
        `${r.measured.l2} / ${r.measured.source}`,
        percent(result.simulated[r.eviction]),
        percent(result.oracle),
        percent(result.belady),
        points(r.l1HitRatio - result.oracle),
        `${r.deafPeriods} (${percent(r.deafMs / 1000 / r.measuredSeconds)})`,
        (r.measured.reads / r.measuredSeconds).toFixed(0),
      ]),
      notes: [
        `The service as \`npm start\` runs it (own process, embedded PGlite seeded with ${result.videos + result.crawl} videos, own Redis prefix; warm-up and predictive warming off); the video namespace has all of L1 (CACHE_L1_MAX_ENTRIES=${result.capacity}).`,
        `Warm-up: ${result.warmup} Zipf reads, then the crawl (each crawled video once), then the counted reads; ${result.concurrency} in flight, taken in trace order.`,
        `tinylfu − lru through the service: ${points(run('tinylfu').l1HitRatio - run('lru').l1HitRatio)} points; simulated: ${points(result.simulated.tinylfu - result.simulated.lru)}.`,
        'A deaf replica (no bus heartbeat heard for 2/3 of the staleness bound, 200 ms by default) answers from L2, not L1. Deaf periods while the counted reads ran, with the share of their time: with none, no read lost its L1 hit to deafness; otherwise up to about that share of the reads did (they show as l2).',
        `Video L1 entries at the end: ${result.runs.map((r) => `${r.eviction} ${r.l1Entries}`).join(', ')}; boot ${result.runs.map((r) => `${r.bootSeconds.toFixed(0)} s`).join(', ')}.`,
      ],
    },
  ];
}
