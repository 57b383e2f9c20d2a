import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deletePrefix, freePort, rawClient, uniquePrefix } from '../../test/fixtures/redis.js';
import { BUILD_ROOT, REPO_ROOT } from '../lib/paths.js';
import { serverCommand } from '../lib/placement.js';

/** A process the HTTP section started: the service, or the bare comparison app. */
export interface BenchProcess {
  readonly url: string;
  /** The service's Redis key prefix (`CACHE_PREFIX`); empty for the bare app. */
  readonly prefix: string;
  /**
   * CPU time the process has used so far (user + system, ms), from `/proc` on Linux (undefined
   * elsewhere). Per request, it tells the cost of a route apart from the machine's load, which
   * moves requests per second but hardly the CPU each request takes.
   */
  cpuMs(): number | undefined;
  /** Sends a signal (the profiler preload writes its profile on SIGUSR2). */
  signal(signal: NodeJS.Signals): void;
  /** Stops the process and removes its Redis keys. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  readonly redisUrl: string;
  /** Variables set on top of the production defaults, e.g. `CACHE_POLICIES` for an L1-less replica. */
  readonly env?: Readonly<Record<string, string>>;
  /** Flags before the script, e.g. `--import` of the profiler preload. */
  readonly nodeArgs?: readonly string[];
  /**
   * Another entry script in place of `dist/main.js`, with `npm start`'s flags kept: only for a
   * labelled diagnostic (bench/http/service-floor.ts).
   */
  readonly script?: string;
  readonly label: string;
}

/**
 * The service as `npm start` runs it (the arguments of package.json's `start` script, today
 * `node --enable-source-maps --import ./dist/telemetry/preload.js dist/main.js`; built beforehand by
 * `npm run bench`), with its production defaults: embedded PGlite (in memory here) seeded on start,
 * warm-up, metrics, logs, `Cache-Status`, and rate limiting on with a limit the load never reaches.
 * Only what a bench run must own is set: a port, a Redis key prefix of its own, the limit.
 */
export async function startService(options: ServiceOptions): Promise<BenchProcess> {
  const port = await freePort();
  const prefix = uniquePrefix(`bench-${options.label}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: 'memory://',
    REDIS_URL: options.redisUrl,
    CACHE_PREFIX: prefix,
    // On, as in production; a client of the bench sends far fewer requests than this per window.
    RATE_LIMIT_MAX: '1000000000',
    ...options.env,
  };
  // What a shell running `npm start` would not set, or what would pick another database.
  delete env.NODE_ENV;
  delete env.DATABASE_URL;
  const startArgs = npmStartArgs();
  if (options.script) startArgs[startArgs.length - 1] = options.script;
  // On the servers' CPU when the bench pins (bench/lib/placement.ts): `taskset` runs node in its place.
  const [command, args] = serverCommand([process.execPath, ...(options.nodeArgs ?? []), ...startArgs]);
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = `http://127.0.0.1:${port}`;
  return awaitReady(child, url, '/health/ready', {
    prefix,
    label: options.label,
    cleanup: async () => {
      const redis = rawClient(options.redisUrl);
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  });
}

/**
 * The arguments `npm start` gives node (package.json's `start` script, `node` left out), so the
 * service is measured with the flags users run it with, whatever they become.
 */
export function npmStartArgs(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = scripts.start!.trim().split(/\s+/);
  if (command !== 'node') throw new Error(`npm start runs "${command}", not node: update the bench`);
  return args;
}

/**
 * The bare NestJS + Fastify app (bench/http/bare-server.ts) that the service is compared with,
 * answering `constantJson` on its routes (`constant-busy/:id` after `busyUs` µs of CPU).
 */
export async function startBareApp(constantJson: string, busyUs: number): Promise<BenchProcess> {
  const port = await freePort();
  const [command, args] = serverCommand([
    process.execPath,
    join(BUILD_ROOT, 'bench', 'http', 'bare-server.js'),
  ]);
  const child = spawn(command, args, {
    env: {
      ...process.env,
      BENCH_PORT: String(port),
      BENCH_CONSTANT_JSON: constantJson,
      BENCH_BUSY_US: String(busyUs),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return awaitReady(child, `http://127.0.0.1:${port}`, '/ready', {
    prefix: '',
    label: 'bare app',
    cleanup: async () => undefined,
  });
}

/** Polls `readyPath` until it answers 200; fails with the process's last output if it exits first. */
async function awaitReady(
  child: ChildProcess,
  url: string,
  readyPath: string,
  options: { prefix: string; label: string; cleanup: () => Promise<void> },
): Promise<BenchProcess> {
  let output = '';
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-8_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const handle: BenchProcess = {
    url,
    prefix: options.prefix,
    cpuMs: () => cpuMsOf(child.pid),
    signal: (signal) => void child.kill(signal),
    async stop() {
      await stopChild(child);
      await options.cleanup();
    },
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${options.label} exited before it was ready:\n${output}`);
    const status = await fetch(url + readyPath, { signal: AbortSignal.timeout(2_000) })
      .then((response) => response.status)
      .catch(() => 0);
    if (status === 200) return handle;
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`${options.label} was not ready within 120 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Fields 14 and 15 of `/proc/<pid>/stat` (utime, stime), in clock ticks of 10 ms. */
function cpuMsOf(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** SIGTERM, then SIGKILL if it has not exited within 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
