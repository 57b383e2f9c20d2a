import autocannon, { type AutocannonResult } from 'autocannon';
import { ID_PREFIX } from '../../src/database/database.constants.js';
import { seedId } from '../../src/database/ids.js';
import { join } from 'node:path';
import { type BenchProcess, npmStartArgs, startBareApp, startService } from '../http/service-process.js';
import { withPlacement } from '../lib/placement.js';
import { BUILD_ROOT } from '../lib/paths.js';
import type { BenchContext, ChartPanel, Table } from '../lib/context.js';
import { alternate, type Variant } from '../lib/harness.js';
import { pairedRatio, range, ratioText, si, summarize, type Summary } from '../lib/stats.js';

/** Where a variant's requests go: the bare app, the service, or the service's L1-less replica. */
type Target = 'bare' | 'service' | 'l2-replica' | 'service-floor';
/** How the service must have answered every request of a variant (from its `/metrics` counters). */
type Outcome = 'l1' | 'l2' | 'miss';

/**
 * The CPU the diagnostic variant burns per request, on top of the constant route. It shows what a
 * fixed extra cost does to this machine's throughput: with the load generator on the same cores, a
 * slower server also pays more per socket write (the client must be woken more often), so the
 * ratio falls faster than the CPU alone would say.
 */
export const BUSY_US = 10;

export const HTTP_VARIANTS = [
  {
    id: 'constant',
    name: 'bare Nest + Fastify: constant object (the limit)',
    target: 'bare',
    path: 'constant',
  },
  {
    id: 'cache-interceptor',
    name: 'bare Nest + Fastify: CacheInterceptor (@nestjs/cache-manager, memory)',
    target: 'bare',
    path: 'cache-interceptor',
  },
  {
    id: 'constant-busy',
    name: `diagnostic: bare constant route + ${BUSY_US} µs of CPU per request`,
    target: 'bare',
    path: 'constant-busy',
  },
  {
    id: 'lane-floor',
    name: 'diagnostic ladder 1: bare app, JSON serialized once, sent from an onRequest hook',
    target: 'bare',
    path: 'lane-floor',
  },
  {
    id: 'lane-batched',
    name: "diagnostic ladder 1b: step 1, answers sent together once per event-loop turn (the hit lane's batching)",
    target: 'bare',
    path: 'lane-batched',
  },
  {
    id: 'lane-headers',
    name: 'diagnostic ladder 2: step 1 + the five headers of an L1 hit',
    target: 'bare',
    path: 'lane-headers',
  },
  {
    id: 'lane-hooks',
    name: "diagnostic ladder 3: step 2 + the service's request-id context and HTTP histogram hooks",
    target: 'bare',
    path: 'lane-hooks',
  },
  {
    id: 'service-floor',
    name: "diagnostic: the service's process and hooks, the same JSON sent as the hit lane sends it, no cache",
    target: 'service-floor',
    path: 'floor',
  },
  {
    // The same route in the floor's process: its difference from the floor row is the route's own
    // work, with whatever state that one process is in (the processes' speeds differ by run).
    id: 'floor-process-l1',
    name: 'diagnostic: the L1-hit route (GET /videos/:id) in the floor diagnostic’s process',
    target: 'service-floor',
    path: 'videos',
    outcome: 'l1',
  },
  { id: 'l1', name: 'vidcache GET /videos/:id, L1 hit', target: 'service', path: 'videos', outcome: 'l1' },
  {
    id: 'l2',
    name: 'vidcache GET /videos/:id, L2 hit (replica, L1 off for video)',
    target: 'l2-replica',
    path: 'videos',
    outcome: 'l2',
  },
  {
    id: 'miss',
    name: 'vidcache GET /videos/:id, miss (a video never read)',
    target: 'service',
    path: 'videos',
    outcome: 'miss',
  },
] as const satisfies readonly {
  id: string;
  name: string;
  target: Target;
  path: string;
  outcome?: Outcome;
}[];
export type HttpVariantId = (typeof HTTP_VARIANTS)[number]['id'];

/** The `video` policy of the L2 replica: nothing stays in its L1, so every read of a stored video is an L2 hit. */
export const L1_OFF_VIDEO_POLICY = JSON.stringify({ video: { l1TtlMs: 0, l1Share: 0, graceMs: 0 } });
/** Videos in the service's default seed (`SEED_SCALE=1`). */
const SEEDED_VIDEOS = 20_000;

export const videoPath = (path: string, index: number) => `/${path}/${seedId(ID_PREFIX.video, index)}`;

/**
 * Load on one route. Each request asks for the next id: `ids` cycles through videos 1…ids;
 * `fresh` hands out ids never asked for before (then `amount` requests are sent, not a duration).
 */
export function loadRoute(
  url: string,
  path: string,
  options: { connections: number; durationS: number; ids?: number; fresh?: () => number; amount?: number },
): Promise<AutocannonResult> {
  let next = 0;
  const nextIndex = options.fresh ?? (() => (next++ % options.ids!) + 1);
  return autocannon({
    url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationS }),
    requests: [
      { method: 'GET', setupRequest: (request) => ({ ...request, path: videoPath(path, nextIndex()) }) },
    ],
  });
}

/** The service's `video` namespace counters, from its Prometheus endpoint. */
async function videoOutcomes(server: BenchProcess): Promise<Record<Outcome, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const count = (tier: string, result: string) => {
    const line = text
      .split('\n')
      .find((l) =>
        l.startsWith(`vidcache_cache_requests_total{namespace="video",tier="${tier}",result="${result}"}`),
      );
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  return { l1: count('l1', 'hit'), l2: count('l2', 'hit'), miss: count('none', 'miss') };
}

/** Reads videos 1…ids until each answers with `expected` (the first read loads; a failed store is retried). */
export async function primeVideos(server: BenchProcess, ids: number, expected: string): Promise<void> {
  for (let pass = 0; pass < 4; pass++) {
    let pending = 0;
    for (let i = 1; i <= ids; i++) {
      const response = await fetch(server.url + videoPath('videos', i));
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`priming video ${i}: HTTP ${response.status}`);
      if (response.headers.get('cache-status') !== expected) pending++;
    }
    if (pending === 0 && pass > 0) return;
  }
  throw new Error(`priming: some videos never answered "${expected}"`);
}

export interface HttpVariantResult {
  readonly id: HttpVariantId;
  readonly name: string;
  readonly requestsPerSec: Summary;
  readonly p50Ms: Summary;
  readonly p99Ms: Summary;
  /** The server process's CPU time (user + system) per request, µs; NaN where `/proc` is missing. */
  readonly cpuUsPerRequest: Summary;
  readonly vsConstant: Summary;
  readonly vsCacheInterceptor: Summary;
  readonly errors: number;
  readonly non2xx: number;
  /**
   * For vidcache variants: requests answered, and how the service counted its reads meanwhile (a
   * replica that stops hearing the bus under load serves no L1, for example: it shows here).
   */
  readonly outcomes?: { readonly requests: number } & Record<Outcome, number>;
}

export interface HttpResult {
  readonly rounds: number;
  readonly durationS: number;
  readonly connections: number;
  readonly ids: number;
  readonly missRequests: number;
  readonly valueBytes: number;
  /** Where the processes ran (bench/lib/placement.ts). */
  readonly placement: string;
  readonly variants: readonly HttpVariantResult[];
}

/** Starts the bare app, the service and its L1-less replica, each in a process of its own. */
async function startProcesses(ctx: BenchContext): Promise<Record<Target, BenchProcess>> {
  const { redisUrl } = ctx.config;
  const [service, l2Replica] = await Promise.all([
    startService({ redisUrl, label: 'service' }),
    startService({ redisUrl, label: 'l2-replica', env: { CACHE_POLICIES: L1_OFF_VIDEO_POLICY } }),
  ]);
  const constantJson = await (await fetch(service.url + videoPath('videos', 1))).text();
  const [bare, floor] = await Promise.all([
    startBareApp(constantJson, BUSY_US),
    startService({
      redisUrl,
      label: 'service-floor',
      env: { BENCH_CONSTANT_JSON: constantJson },
      script: join(BUILD_ROOT, 'bench', 'http', 'service-floor.js'),
    }),
  ]);
  return { service, 'l2-replica': l2Replica, bare, 'service-floor': floor };
}

/**
 * Section 3: the service as users run it against a bare Nest app, under autocannon, in alternating
 * rounds: the bare constant route, the bare app's CacheInterceptor, vidcache's L1 hit, L2 hit, miss.
 */
export function runHttp(ctx: BenchContext): Promise<HttpResult> {
  return withPlacement(ctx.config.pin, (placement) => measureHttp(ctx, placement.description));
}

async function measureHttp(ctx: BenchContext, placement: string): Promise<HttpResult> {
  const { rounds, durationS, connections, ids, missRequests } = ctx.config.http;
  if (ids + (rounds + 1) * missRequests > SEEDED_VIDEOS)
    throw new Error(
      `http: ${rounds + 1} rounds of ${missRequests} misses need more than ${SEEDED_VIDEOS} videos`,
    );
  ctx.log(
    'http: starting the service, its L1-less replica (npm start, PGlite in memory), the bare app and the service-floor diagnostic',
  );
  const processes = await startProcesses(ctx);
  try {
    await primeVideos(processes.service, ids, 'vidcache; hit; detail=l1');
    await primeVideos(processes['l2-replica'], ids, 'vidcache; hit; detail=l2');
    await primeVideos(processes['service-floor'], ids, 'vidcache; hit; detail=l1');
    const valueBytes = (await (await fetch(processes.service.url + videoPath('videos', 1))).arrayBuffer())
      .byteLength;
    let fresh = ids;
    const cpuUs = new Map<string, number[]>(HTTP_VARIANTS.map((variant) => [variant.id, []]));
    const outcomes = new Map<HttpVariantId, { requests: number } & Record<Outcome, number>>();
    ctx.log(
      `http: ${HTTP_VARIANTS.length} variants × ${rounds} rounds of ${durationS} s, ${connections} connections`,
    );
    const variants: Variant<AutocannonResult>[] = HTTP_VARIANTS.map((variant) => ({
      name: variant.id,
      async run(round) {
        const target = processes[variant.target];
        const outcome = 'outcome' in variant ? variant.outcome : undefined;
        const before = outcome ? await videoOutcomes(target) : undefined;
        const cpuBefore = target.cpuMs();
        // The warm-up round is short: it only has to get the JIT of every process going.
        const seconds = round < 0 ? Math.min(2, durationS) : durationS;
        const result =
          outcome === 'miss'
            ? await loadRoute(target.url, variant.path, {
                connections,
                durationS: seconds,
                fresh: () => ++fresh,
                amount: missRequests,
              })
            : await loadRoute(target.url, variant.path, { connections, durationS: seconds, ids });
        const cpuAfter = target.cpuMs();
        if (round >= 0 && cpuBefore !== undefined && cpuAfter !== undefined)
          cpuUs.get(variant.id)!.push(((cpuAfter - cpuBefore) * 1000) / result.requests.total);
        if (outcome && before && round >= 0) {
          const after = await videoOutcomes(target);
          const seen = outcomes.get(variant.id) ?? { requests: 0, l1: 0, l2: 0, miss: 0 };
          outcomes.set(variant.id, {
            requests: seen.requests + result.requests.total,
            l1: seen.l1 + after.l1 - before.l1,
            l2: seen.l2 + after.l2 - before.l2,
            miss: seen.miss + after.miss - before.miss,
          });
        }
        return result;
      },
    }));
    const samples = await alternate(variants, {
      rounds,
      warmupRounds: 1,
      onRound: (round) => ctx.log(`http: round ${round + 1}/${rounds} done`),
    });
    // Requests per second over the whole run (autocannon's per-second average drops a partial last second).
    const rate = (id: string) => samples.get(id)!.map((result) => result.requests.total / result.duration);
    return {
      rounds,
      durationS,
      connections,
      ids,
      missRequests,
      valueBytes,
      placement,
      variants: HTTP_VARIANTS.map((variant) => {
        const results = samples.get(variant.id)!;
        const counted = outcomes.get(variant.id);
        return {
          id: variant.id,
          name: variant.name,
          requestsPerSec: summarize(rate(variant.id)),
          p50Ms: summarize(results.map((result) => result.latency.p50)),
          p99Ms: summarize(results.map((result) => result.latency.p99)),
          cpuUsPerRequest: summarize(cpuUs.get(variant.id)!),
          vsConstant: pairedRatio(rate(variant.id), rate('constant')),
          vsCacheInterceptor: pairedRatio(rate(variant.id), rate('cache-interceptor')),
          errors: results.reduce((sum, result) => sum + result.errors, 0),
          non2xx: results.reduce((sum, result) => sum + result.non2xx, 0),
          ...(counted ? { outcomes: counted } : {}),
        };
      }),
    };
  } finally {
    await Promise.all(Object.values(processes).map((server) => server.stop()));
  }
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const ratioRange = (summary: Summary) =>
  `${ratioText(summary.median)} (${ratioText(summary.min)}–${ratioText(summary.max)})`;

export function httpTables(result: HttpResult): Table[] {
  return [
    {
      title: `3. HTTP (autocannon, ${result.connections} connections, ${result.rounds} rounds of ${result.durationS} s per variant, ${result.ids} ids; misses: ${result.missRequests} new ids per round; ${result.valueBytes} B answers)`,
      columns: [
        'variant',
        'req/s median (min–max)',
        '× constant',
        '× CacheInterceptor',
        'server CPU/request',
        'p50',
        'p99',
        'errors',
      ],
      rows: result.variants.map((variant) => [
        variant.name,
        range(variant.requestsPerSec, si),
        ratioRange(variant.vsConstant),
        ratioRange(variant.vsCacheInterceptor),
        range(variant.cpuUsPerRequest, (us) => `${us.toFixed(0)} µs`),
        ms(variant.p50Ms.median),
        ms(variant.p99Ms.median),
        String(variant.errors + variant.non2xx),
      ]),
      notes: [
        `placement: ${result.placement}`,
        `the service: node ${npmStartArgs().join(' ')} (as npm start) with its defaults (embedded PGlite, seeded; Redis; rate limiting, metrics, logs, Cache-Status); the L2 replica: the same with CACHE_POLICIES=${L1_OFF_VIDEO_POLICY}`,
        `reads counted by the service during the rounds (vidcache_cache_requests_total, video namespace; autocannon leaves up to one request per connection uncounted): ${result.variants
          .filter((variant) => variant.outcomes)
          .map(
            ({ id, outcomes: o }) =>
              `${id}: ${o!.requests} answered; L1 ${o!.l1}, L2 ${o!.l2}, miss ${o!.miss}`,
          )
          .join(', ')}`,
      ],
    },
  ];
}

export function httpPanels(result: HttpResult): ChartPanel[] {
  return [
    {
      title: '3. HTTP: requests per second (higher is better)',
      unit: 'req/s',
      scale: 'linear',
      marker: {
        value: 0.9 * result.variants.find((variant) => variant.id === 'constant')!.requestsPerSec.median,
        label: 'target 0.9× constant',
      },
      bars: result.variants.map((variant) => ({
        label: variant.name,
        summary: variant.requestsPerSec,
        note: `${si(variant.requestsPerSec.median)} · ${ratioText(variant.vsConstant.median)}`,
        ours: variant.id === 'l1' || variant.id === 'l2' || variant.id === 'miss',
      })),
    },
  ];
}
