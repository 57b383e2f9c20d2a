import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { BreakdownRow } from '../profile/breakdown.js';
import type { ProfileScenario } from '../profile/hit-path.js';
import { startService } from '../http/service-process.js';
import { type PinMode, withPlacement } from './placement.js';
import { loadRoute, primeVideos } from '../sections/http.js';
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

/**
 * Profiles the service (started as `npm start` does, through the inspector preload: see
 * bench/http/cpu-profile.preload.ts) while autocannon loads its L1-hit route; the load generator
 * is not profiled, and only the samples taken under load are summarised.
 */
export function profileHttpRoute(
  redisUrl: string,
  options: { seconds: number; ids: number; connections: number; pin: PinMode },
): Promise<ProfileSummary> {
  return withProfileDir((dir) =>
    withPlacement(options.pin, async () => {
      const service = await startService({
        redisUrl,
        label: 'profiled',
        env: { BENCH_CPU_PROFILE: join(dir, 'service.cpuprofile') },
        nodeArgs: [
          '--import',
          pathToFileURL(join(BUILD_ROOT, 'bench', 'http', 'cpu-profile.preload.js')).href,
        ],
      });
      try {
        await primeVideos(service, options.ids, 'vidcache; hit; detail=l1');
        const start = profileClockUs();
        await loadRoute(service.url, 'videos', {
          connections: options.connections,
          durationS: options.seconds,
          ids: options.ids,
        });
        const end = profileClockUs();
        service.signal('SIGUSR2');
        await waitForFile(join(dir, 'service.cpuprofile'));
        return [start, end] as const;
      } finally {
        await service.stop();
      }
    }),
  );
}

async function waitForFile(file: string): Promise<void> {
  for (let waited = 0; !existsSync(file); waited += 100) {
    if (waited > 30_000) throw new Error(`profiling: ${file} was not written`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
