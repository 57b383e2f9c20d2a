import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { asc } from 'drizzle-orm';
import type { CacheOutcome } from '../../src/cache/index.js';
import { APP_CACHE_NAMESPACES } from '../../src/app.cache-namespaces.js';
import { CacheUnavailableError } from '../../src/cache/index.js';
import type { DatabaseConfig } from '../../src/config/database.config.js';
import { DatabaseConnection } from '../../src/database/database.connection.js';
import { videos } from '../../src/database/schema.js';
import { DEFAULT_SEED, seedDatabase } from '../../src/database/seed.js';
import { SeededRandom, ZipfSampler } from '../../src/database/seed-random.js';
import { VideosRepository, type Video } from '../../src/videos/videos.repository.js';
import { createHybrid, deletePrefix, rawClient, uniquePrefix } from '../../test/fixtures/redis.js';
import type { PredictiveWarmingStats } from '../../src/warmup/predictive-warmer.js';
import type { BenchContext } from '../lib/context.js';
import { ensureMigrationsBesideBuild } from '../lib/paths.js';
import { startReplayApp, VIDEO_NAMESPACE as NAMESPACE, type ReplayApp } from './replay-app.js';

/**
 * The predictive warmer's budget in the replay: the app's default (50 preloads a second) is sized
 * for a replica's background work; the replay runs thousands of page views a second, so the
 * budget is raised to let the warmer act on the workload at all. The run reports how many it made.
 */
const REPLAY_WARMING = { maxPerSecond: 2_000, maxConcurrent: 16 } as const;
/** The seed data is generated relative to this moment, so every run replays the same catalog. */
const SEED_NOW = new Date('2025-06-01T00:00:00Z');
const OPERATIONS_SEED = 5_318_008;

/** Where each read was answered, and whether this read itself called the source. */
export interface ReadCounts {
  reads: number;
  l1: number;
  l2: number;
  /** Joined a load already in flight for its key (single-flight): did not call the source itself. */
  joined: number;
  /** Called the source (a miss, or a refresh). */
  source: number;
  /** A read that started after a write to its key had completed, and returned an older version. */
  stale: number;
}

export interface ReplayRun {
  readonly label: string;
  readonly predictiveWarming: boolean;
  readonly operations: number;
  readonly writes: number;
  /**
   * Writes whose eviction Redis could not take in time (the service answers those 503): not
   * acknowledged, so no read is held to them. Only a loaded machine makes any.
   */
  readonly refusedWrites: number;
  readonly wallMs: number;
  /** Counts over the whole run, from a cold cache. */
  readonly coldStart: ReadCounts;
  /** Counts after the first `warmupOperations` operations: the steady state the targets refer to. */
  readonly steady: ReadCounts;
  /** The status reads alone (steady state): the reads predictive warming can pre-load. */
  readonly statusSteady: ReadCounts;
  /**
   * Source queries, every one: the reads' own, early refreshes', and the warmer's preloads (which
   * no read asked for). "Queries avoided" is 1 − these / reads.
   */
  readonly sourceQueries: { readonly coldStart: number; readonly steady: number };
  /** The warmer's counters at the end of the run (all zero when it is off). */
  readonly warming: PredictiveWarmingStats;
  readonly l1Bound: {
    readonly maxEntries: number;
    readonly maxBytes: number;
    readonly peakEntries: number;
    readonly peakBytes: number;
    readonly pressureEvictions: number;
    /** The peak observed never exceeded either bound. */
    readonly held: boolean;
  };
  /** L1's own estimate for the video rows it held at the end. */
  readonly bytesPerEntry: number;
  readonly l2: { readonly errors: number; readonly timeouts: number; readonly circuitOpened: number };
  /** Event-loop delay during the run (ms): the embedded database runs on this thread. */
  readonly loopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

export interface ReplayResult {
  readonly database: string;
  readonly catalog: { readonly videos: number; readonly estimatedL1Bytes: number };
  readonly workload: {
    readonly operations: number;
    readonly warmupOperations: number;
    readonly writeShare: number;
    readonly zipfExponent: number;
    readonly concurrency: number;
    readonly l1Fraction: number;
  };
  readonly runs: readonly ReplayRun[];
  readonly warmingBudget: typeof REPLAY_WARMING;
}

const titleOf = (version: number) => `replay v${version}`;
const versionOf = (video: Video | null) => {
  const match = video ? /^replay v(\d+)$/.exec(video.title) : null;
  return match ? Number(match[1]) : 0;
};

const emptyCounts = (): ReadCounts => ({ reads: 0, l1: 0, l2: 0, joined: 0, source: 0, stale: 0 });

/**
 * Section 5: a replay of the seeded catalog. Reads pick videos by a Zipf law (s = 0.99, the most
 * popular first), 5% of operations are writes (update in the database, then evict the key), L1's
 * `video` slice is bounded to 10% of the catalog (entries and bytes), Redis is L2, PGlite the
 * source. A read that starts after a write to its key completed must see that write's version or
 * a later one: anything older is counted as a stale read.
 */
export async function runReplay(ctx: BenchContext): Promise<ReplayResult> {
  const config = ctx.config.replay;
  ensureMigrationsBesideBuild();
  const databaseConfig: DatabaseConfig = {
    url: undefined,
    dataDir: 'memory://',
    seedOnStart: false,
    seedScale: config.seedScale,
  };
  ctx.log(`replay: seeding PGlite in memory at scale ${config.seedScale}`);
  const connection = await DatabaseConnection.open(databaseConfig);
  const redis = rawClient(ctx.config.redisUrl);
  try {
    await connection.migrate();
    await seedDatabase(connection.db, { scale: config.seedScale, seed: DEFAULT_SEED, now: SEED_NOW });
    const repository = new VideosRepository(connection.db);
    const ids = (await connection.db.select({ id: videos.id }).from(videos).orderBy(asc(videos.id))).map(
      (row) => row.id,
    );
    const bytesPerVideo = await estimateL1BytesPerVideo(repository, ids);
    const estimatedL1Bytes = Math.round(bytesPerVideo * ids.length);

    // The `video` slice gets its policy's share of the L1 budget: size the budget so the slice
    // holds l1Fraction of the catalog, by entries and by bytes.
    const shares = Object.values(APP_CACHE_NAMESPACES).map((policy) => policy.l1Share ?? 0.05);
    const videoShare = (APP_CACHE_NAMESPACES[NAMESPACE]!.l1Share ?? 0.05) / Math.max(1, sum(shares));
    const l1 = {
      maxEntries: Math.ceil((ids.length * config.l1Fraction) / videoShare),
      maxBytes: Math.ceil((estimatedL1Bytes * config.l1Fraction) / videoShare),
    };

    const operations = generateOperations(
      ids.length,
      config.operations,
      config.writeShare,
      config.zipfExponent,
    );
    const runs: ReplayRun[] = [];
    for (const predictive of [false, true]) {
      const prefix = uniquePrefix('bench-replay');
      const app = await startReplayApp({ prefix, redisUrl: ctx.config.redisUrl, l1 }, repository, {
        enabled: predictive,
        ...REPLAY_WARMING,
      });
      try {
        ctx.log(
          `replay: ${config.operations} page views over ${ids.length} videos, ${config.concurrency} in flight, predictive warming ${predictive ? 'on' : 'off'}`,
        );
        runs.push(await replayOnce(ctx, app, repository, ids, operations, predictive));
      } finally {
        await app.close();
        await deletePrefix(redis, prefix);
      }
    }
    return {
      database: `PGlite in memory, seed scale ${config.seedScale} (seed ${DEFAULT_SEED})`,
      catalog: { videos: ids.length, estimatedL1Bytes },
      workload: {
        operations: config.operations,
        warmupOperations: config.warmupOperations,
        writeShare: config.writeShare,
        zipfExponent: config.zipfExponent,
        concurrency: config.concurrency,
        l1Fraction: config.l1Fraction,
      },
      runs,
      warmingBudget: REPLAY_WARMING,
    };
  } finally {
    redis.disconnect();
    await connection.close();
  }
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** The operations of a replay: the video index of each, negative (−index − 1) for a write. */
export function generateOperations(
  videoCount: number,
  count: number,
  writeShare: number,
  exponent: number,
): Int32Array {
  const random = new SeededRandom(OPERATIONS_SEED);
  const zipf = new ZipfSampler(videoCount, exponent, random);
  // Popularity rank → video, so the most popular videos are spread over the catalog.
  const videoOfRank = random.permutation(videoCount);
  const operations = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const write = random.next() < writeShare;
    const video = videoOfRank[zipf.sample()]!;
    operations[i] = write ? -video - 1 : video;
  }
  return operations;
}

/**
 * L1's own size estimate of a video entry, averaged over a sample of the catalog: the sampled rows
 * are cached in a scratch memory-only cache and its byte count divided by its entry count.
 */
async function estimateL1BytesPerVideo(
  repository: VideosRepository,
  ids: readonly string[],
): Promise<number> {
  const scratch = await createHybrid({ prefix: uniquePrefix('bench-sizing') });
  try {
    const step = Math.max(1, Math.floor(ids.length / 500));
    for (let i = 0; i < ids.length; i += step) {
      await scratch.cache.wrap(NAMESPACE, ['video', ids[i]!], () => repository.findById(ids[i]!));
    }
    const usage = scratch.cache.stats().l1;
    return usage.bytes / usage.entries;
  } finally {
    await scratch.close();
  }
}

async function replayOnce(
  ctx: BenchContext,
  app: ReplayApp,
  repository: VideosRepository,
  ids: readonly string[],
  operations: Int32Array,
  predictive: boolean,
): Promise<ReplayRun> {
  const { cache, context, pages, calls } = app;
  const { warmupOperations, concurrency } = ctx.config.replay;
  const coldStart = emptyCounts();
  const steady = emptyCounts();
  const statusSteady = emptyCounts();
  let sourceAtWarmupEnd: number | undefined;
  // Per video: the last version written (assigned when its write starts) and the last whose write
  // (database commit, then eviction) has completed.
  const written = new Int32Array(ids.length);
  const completed = new Int32Array(ids.length);
  // Writes to one video run one after another, so versions commit in the order they are numbered.
  const writing = new Map<number, Promise<void>>();
  const slice = app.stack.l1.slice(NAMESPACE);
  let peakEntries = 0;
  let peakBytes = 0;
  let writes = 0;
  let refusedWrites = 0;

  /** One `@Cacheable` read, counted where it was answered; `stale` judges the value it returned. */
  const readOne = async <T>(
    call: () => Promise<T>,
    counts: readonly ReadCounts[],
    stale: (value: T) => boolean,
  ) => {
    const outcomes: CacheOutcome[] = [];
    const value = await context.runWith(outcomes, call);
    const calledSource = calls.calledBy(outcomes);
    const tier = outcomes[0]?.tier;
    for (const c of counts) {
      c.reads++;
      if (calledSource) c.source++;
      else if (tier === 'l1') c.l1++;
      else if (tier === 'l2') c.l2++;
      else c.joined++;
      if (stale(value)) c.stale++;
    }
  };
  const readVideo = (index: number, counts: readonly ReadCounts[]) => {
    const floor = completed[index]!;
    return readOne(
      () => pages.video(ids[index]!),
      counts,
      (video) => versionOf(video) < floor,
    );
  };
  const readStatus = (index: number, counts: readonly ReadCounts[]) =>
    readOne(
      () => pages.status(ids[index]!),
      counts,
      () => false,
    );

  const write = async (index: number) => {
    writes++;
    const previous = writing.get(index) ?? Promise.resolve();
    const mine = previous.then(async () => {
      const version = ++written[index]!;
      await repository.update(ids[index]!, { title: titleOf(version) });
      try {
        await cache.delete(NAMESPACE, ['video', ids[index]!]);
      } catch (error) {
        if (!(error instanceof CacheUnavailableError)) throw error;
        refusedWrites++;
        return;
      }
      completed[index] = version;
    });
    writing.set(index, mine);
    await mine;
    if (writing.get(index) === mine) writing.delete(index);
  };

  let next = 0;
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      // A page view reads the video, and its status a moment later (the page asks for it once it
      // has rendered): each caller reads the status of its previous page view after the video of
      // the next one. The moment between is what predictive warming has to pre-load the status.
      let previousPage: number | undefined;
      while (next < operations.length) {
        // Each operation starts from the event loop, as a request does. Without this, L1 hits and
        // PGlite (which runs its queries synchronously, on this thread) chain through microtasks
        // alone and starve the loop for seconds: Redis replies go unread, time out, and the
        // circuit breaker opens, which is the replay measuring its own harness.
        await nextTurn();
        const i = next++;
        if (i === warmupOperations) sourceAtWarmupEnd = calls.total;
        const op = operations[i]!;
        const counts = i < warmupOperations ? [coldStart] : [coldStart, steady];
        if (op < 0) await write(-op - 1);
        else {
          await readVideo(op, counts);
          if (previousPage !== undefined) {
            await nextTurn();
            await readStatus(previousPage, i < warmupOperations ? counts : [...counts, statusSteady]);
          }
          previousPage = op;
        }
        if (i % 256 === 0) {
          peakEntries = Math.max(peakEntries, slice.lru.size);
          peakBytes = Math.max(peakBytes, slice.lru.calculatedSize);
        }
      }
    }),
  );
  const wallMs = performance.now() - started;
  loopDelay.disable();
  const stats = cache.stats();
  const ns = stats.namespaces[NAMESPACE]!;
  return {
    label: predictive ? 'with predictive warming' : 'without predictive warming',
    predictiveWarming: predictive,
    operations: operations.length,
    writes,
    refusedWrites,
    wallMs,
    coldStart,
    steady,
    statusSteady,
    sourceQueries: { coldStart: calls.total, steady: calls.total - (sourceAtWarmupEnd ?? calls.total) },
    warming: app.warmer.stats(),
    l1Bound: {
      maxEntries: slice.lru.max,
      maxBytes: slice.lru.maxSize,
      peakEntries,
      peakBytes,
      pressureEvictions: ns.l1Evictions,
      held: peakEntries <= slice.lru.max && peakBytes <= slice.lru.maxSize,
    },
    bytesPerEntry: ns.l1Entries === 0 ? 0 : ns.l1Bytes / ns.l1Entries,
    l2: { errors: stats.l2.errors, timeouts: stats.l2.timeouts, circuitOpened: stats.l2.circuitOpened },
    loopDelayMs: {
      p50: loopDelay.percentile(50) / 1e6,
      p99: loopDelay.percentile(99) / 1e6,
      max: loopDelay.max / 1e6,
    },
  };
}
