import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BreakdownRow } from '../profile/breakdown.js';
import type { ProfileScenario } from '../profile/hit-path.js';
import { loadRoute, primeRoutes, startBenchServer, type HttpRoutePath } from '../sections/http.js';
import { profileClockUs, summarizeCpuProfile, type ProfileSummary } from './cpu-profile.js';
import { BUILD_ROOT } from './paths.js';

/** Runs `fn` with a fresh directory for `--cpu-prof`, then summarises the one profile written there. */
async function withProfileDir(
  fn: (dir: string) => Promise<readonly [number, number]>,
): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'vidcache-bench-prof-'));
  try {
    const window = await fn(dir);
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('profiling: no .cpuprofile was written');
    return summarizeCpuProfile(join(dir, file), window);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Profiles an in-process hit path (bench/profile/hit-path.ts) in a process of its own. */
export function profileScenario(
  scenario: ProfileScenario,
  seconds: number,
  redisUrl: string,
): Promise<ProfileSummary> {
  return withProfileDir(async (dir) => {
    const child = spawn(
      process.execPath,
      [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        join(BUILD_ROOT, 'bench', 'profile', 'hit-path.js'),
        scenario,
        String(seconds),
        redisUrl,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let window: [number, number] | undefined;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^window (\d+) (\d+)$/.exec(line);
      if (match) window = [Number(match[1]), Number(match[2])];
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0 || !window) throw new Error(`profiling ${scenario}: exited with code ${code}`);
    return window;
  });
}

/** Profiles the HTTP server while autocannon loads one route (the load generator is not profiled). */
export function profileHttpRoute(
  redisUrl: string,
  options: { seedScale: number; path: HttpRoutePath; seconds: number; ids: number; connections: number },
): Promise<ProfileSummary> {
  return withProfileDir(async (dir) => {
    const server = await startBenchServer(redisUrl, options.seedScale, [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
    ]);
    try {
      await primeRoutes(server.port, options.ids);
      const start = profileClockUs();
      await loadRoute(server.port, options.path, options.ids, options.connections, options.seconds);
      return [start, profileClockUs()] as const;
    } finally {
      // The profile is written when the server exits.
      await server.stop();
    }
  });
}

/** The hit-path breakdown (bench/profile/breakdown.ts), in a fresh process: see why there. */
export async function breakdownInChild(rounds: number, batchMs: number): Promise<BreakdownRow[]> {
  const child = spawn(
    process.execPath,
    [join(BUILD_ROOT, 'bench', 'profile', 'breakdown-run.js'), String(rounds), String(batchMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`breakdown: exited with code ${code}`);
  return JSON.parse(output) as BreakdownRow[];
}
