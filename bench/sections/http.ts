import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon, { type AutocannonResult } from 'autocannon';
import { ID_PREFIX } from '../../src/database/database.constants.js';
import { seedId } from '../../src/database/ids.js';
import type { CacheStatsSnapshot } from '../../src/cache/index.js';
import { deletePrefix, rawClient, uniquePrefix } from '../../test/fixtures/redis.js';
import type { BenchContext, ChartPanel, Table } from '../lib/context.js';
import { alternate, type Variant } from '../lib/harness.js';
import { BUILD_ROOT } from '../lib/paths.js';
import { pairedRatio, range, ratioText, si, summarize, type Summary } from '../lib/stats.js';

export const HTTP_ROUTES = [
  { name: 'constant route (the limit)', path: 'constant' },
  { name: 'uncached (database every request)', path: 'uncached' },
  { name: 'NestJS CacheInterceptor (CACHE_MANAGER)', path: 'nest-cache' },
  { name: 'vidcache @Cacheable, L1 hit', path: 'vidcache' },
  { name: 'vidcache @Cacheable, L2 hit', path: 'vidcache-l2' },
  // Not the routes: what the Cache-Status hook costs a route, what answering a different
  // video each request costs without any cache (the constant route sends one object again and
  // again), and the same hit with the header written by a Nest interceptor, as before the hook.
  { name: 'diagnostic: constant route without the Cache-Status hook', path: 'constant-no-hook' },
  { name: 'diagnostic: the asked-for video from a plain Map (no cache)', path: 'map' },
  { name: 'diagnostic: vidcache L1 hit, Cache-Status by a Nest interceptor', path: 'vidcache-interceptor' },
] as const;
export type HttpRoutePath = (typeof HTTP_ROUTES)[number]['path'];

/** What each cached route must answer once primed; checked before and after the measurement. */
const EXPECTED_HEADERS: Partial<Record<HttpRoutePath, [header: string, value: string]>> = {
  'nest-cache': ['x-cache', 'HIT'],
  vidcache: ['cache-status', 'vidcache; hit; detail=l1'],
  'vidcache-l2': ['cache-status', 'vidcache; hit; detail=l2'],
  'vidcache-interceptor': ['cache-status', 'vidcache; hit; detail=l1'],
};

export interface BenchServer {
  readonly port: number;
  readonly prefix: string;
  stop(): Promise<void>;
}

/**
 * Starts the bench app (bench/http/server.ts) in its own process: in-memory PGlite seeded at
 * `seedScale`, the project's CacheModule on Redis under a prefix of its own. `nodeArgs` adds flags
 * such as `--cpu-prof`. `stop()` closes it and removes its Redis keys.
 */
export async function startBenchServer(
  redisUrl: string,
  seedScale: number,
  nodeArgs: readonly string[] = [],
): Promise<BenchServer> {
  const prefix = uniquePrefix('bench-http');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_PREFIX: prefix,
    REDIS_URL: redisUrl,
    DATA_DIR: 'memory://',
    SEED_ON_START: 'true',
    SEED_SCALE: String(seedScale),
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [...nodeArgs, join(BUILD_ROOT, 'bench', 'http', 'server.js')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with code ${code} before listening`)));
  });
  return {
    port,
    prefix,
    async stop() {
      await stopChild(child);
      const redis = rawClient(redisUrl);
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Requests every id on every cached route until each answers as a hit (the first request loads
 * it; a load whose L2 write failed, e.g. a Redis timeout while the app warms up, is retried).
 * Returns how many requests after the first pass were not yet hits.
 */
export async function primeRoutes(port: number, ids: number): Promise<number> {
  let pending = Object.keys(EXPECTED_HEADERS).flatMap((path) =>
    Array.from({ length: ids }, (_, i) => ({ path: path as HttpRoutePath, i })),
  );
  let retried = 0;
  for (let pass = 0; pass < 4 && pending.length > 0; pass++) {
    const misses: typeof pending = [];
    const queue = [...pending];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let item = queue.pop(); item !== undefined; item = queue.pop()) {
          const response = await fetch(urlOf(port, item.path, item.i));
          if (!response.ok) throw new Error(`priming ${item.path}/${item.i}: HTTP ${response.status}`);
          await response.arrayBuffer();
          const [header, value] = EXPECTED_HEADERS[item.path]!;
          if (response.headers.get(header) !== value) misses.push(item);
        }
      }),
    );
    if (pass > 0) retried += misses.length;
    pending = misses;
  }
  return retried;
}

/** The first failed expectation ("vidcache: cache-status was …"), or undefined when all hold. */
async function checkRoutes(port: number): Promise<string | undefined> {
  for (const [path, [header, value]] of Object.entries(EXPECTED_HEADERS)) {
    const response = await fetch(urlOf(port, path, 7));
    await response.arrayBuffer();
    const actual = response.headers.get(header);
    if (actual !== value)
      return `${path}: ${header} was ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** The vidcache stats of the server (its `/bench/stats` route). */
async function serverStats(port: number): Promise<CacheStatsSnapshot> {
  const response = await fetch(`http://127.0.0.1:${port}/bench/stats`);
  return (await response.json()) as CacheStatsSnapshot;
}

const urlOf = (port: number, path: string, i: number) =>
  `http://127.0.0.1:${port}/bench/${path}/${seedId(ID_PREFIX.video, i + 1)}`;

/** Load on one route: `connections` clients, each request for the next of `ids` ids in turn. */
export function loadRoute(
  port: number,
  path: string,
  ids: number,
  connections: number,
  durationS: number,
): Promise<AutocannonResult> {
  let next = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: durationS,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({
          ...request,
          path: `/bench/${path}/${seedId(ID_PREFIX.video, (next++ % ids) + 1)}`,
        }),
      },
    ],
  });
}

export interface HttpRouteResult {
  readonly name: string;
  readonly path: string;
  readonly requestsPerSec: Summary;
  readonly p50Ms: Summary;
  readonly p99Ms: Summary;
  readonly vsConstant: Summary;
  readonly errors: number;
  readonly non2xx: number;
}

export interface HttpResult {
  readonly rounds: number;
  readonly durationS: number;
  readonly connections: number;
  readonly ids: number;
  readonly database: string;
  readonly routes: readonly HttpRouteResult[];
  /** Expectations on the cache headers, checked after priming and again after the run. */
  readonly checks: { readonly before: string; readonly after: string; readonly primingRetries: number };
  /** From the server's vidcache stats after the run. */
  readonly l2: { readonly errors: number; readonly timeouts: number; readonly circuitOpened: number };
}

/**
 * Section 3: the same Fastify Nest app, in its own process, under autocannon, route after route
 * in alternation (constant, uncached, CacheInterceptor, vidcache L1, vidcache L2, and again).
 */
export async function runHttp(ctx: BenchContext): Promise<HttpResult> {
  const { rounds, durationS, connections, ids, seedScale } = ctx.config.http;
  ctx.log(`http: starting the bench app (PGlite in memory, seed scale ${seedScale})`);
  const server = await startBenchServer(ctx.config.redisUrl, seedScale);
  try {
    const primingRetries = await primeRoutes(server.port, ids);
    const before = (await checkRoutes(server.port)) ?? 'ok';
    if (before !== 'ok') ctx.log(`http: WARNING ${before}`);
    ctx.log(
      `http: ${HTTP_ROUTES.length} routes × ${rounds} rounds of ${durationS} s, ${connections} connections`,
    );
    const variants: Variant<AutocannonResult>[] = HTTP_ROUTES.map((route) => ({
      name: route.path,
      // The warm-up round is short: it only has to get both processes' JIT going.
      run: (round) =>
        loadRoute(server.port, route.path, ids, connections, round < 0 ? Math.min(2, durationS) : durationS),
    }));
    const samples = await alternate(variants, {
      rounds,
      warmupRounds: 1,
      onRound: (round) => ctx.log(`http: round ${round + 1}/${rounds} done`),
    });
    const after = (await checkRoutes(server.port)) ?? 'ok';
    const { l2 } = await serverStats(server.port);
    const rate = (path: string) => samples.get(path)!.map((result) => result.requests.average);
    return {
      rounds,
      durationS,
      connections,
      ids,
      database: `PGlite in memory, seed scale ${seedScale}`,
      routes: HTTP_ROUTES.map((route) => {
        const results = samples.get(route.path)!;
        return {
          name: route.name,
          path: route.path,
          requestsPerSec: summarize(rate(route.path)),
          p50Ms: summarize(results.map((result) => result.latency.p50)),
          p99Ms: summarize(results.map((result) => result.latency.p99)),
          vsConstant: pairedRatio(rate(route.path), rate('constant')),
          errors: results.reduce((sum, result) => sum + result.errors, 0),
          non2xx: results.reduce((sum, result) => sum + result.non2xx, 0),
        };
      }),
      checks: { before, after, primingRetries },
      l2: { errors: l2.errors, timeouts: l2.timeouts, circuitOpened: l2.circuitOpened },
    };
  } finally {
    await server.stop();
  }
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;

export function httpTables(result: HttpResult): Table[] {
  return [
    {
      title: `3. HTTP (autocannon, ${result.connections} connections, ${result.rounds} rounds of ${result.durationS} s per route, ${result.ids} ids; ${result.database})`,
      columns: ['route', 'req/s median (min–max)', '× constant', 'p50', 'p99', 'errors'],
      rows: result.routes.map((route) => [
        route.name,
        range(route.requestsPerSec, si),
        `${ratioText(route.vsConstant.median)} (${ratioText(route.vsConstant.min)}–${ratioText(route.vsConstant.max)})`,
        ms(route.p50Ms.median),
        ms(route.p99Ms.median),
        String(route.errors + route.non2xx),
      ]),
      notes: [
        `cache headers after priming: ${result.checks.before} (${result.checks.primingRetries} priming retries); after the run: ${result.checks.after}`,
        `server's L2 errors: ${result.l2.errors} (timeouts ${result.l2.timeouts}, circuit opened ${result.l2.circuitOpened} times)`,
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
        value: 0.9 * result.routes.find((route) => route.path === 'constant')!.requestsPerSec.median,
        label: 'target 0.9× constant',
      },
      bars: result.routes.map((route) => ({
        label: route.name,
        summary: route.requestsPerSec,
        note: `${si(route.requestsPerSec.median)} · ${ratioText(route.vsConstant.median)}`,
        ours: route.path.startsWith('vidcache'),
      })),
    },
  ];
}
