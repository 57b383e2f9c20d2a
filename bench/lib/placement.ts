import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Where the HTTP measurements run: the load generator (this process, autocannon) on one CPU and
 * every server on another, with `taskset`.
 *
 * Why: on a machine with few CPUs, a server left to the scheduler can end up on its client's CPU
 * (Linux may wake a task on the CPU of the task that woke it), and there it answers about half as
 * many requests as on a CPU of its own. Measured ad hoc on the 2-CPU VM, the client pinned to
 * CPU 0, the same service build, L1 hits (bench/README.md, "A CPU each"):
 * 59.0 k req/s at 16.5 µs of CPU per request on CPU 1, 25.6 k at 20.4 µs sharing CPU 0, and
 * 26.0 k at 20.6 µs left to the scheduler (about what it got beside its client). A comparison of
 * processes is only a comparison of the code in them when each has a CPU of its own.
 * It does not remove the other difference between service processes, one settling at about 1.5×
 * the CPU per request of another (bench/README.md, "A CPU each").
 *
 * `BENCH_PIN`: `auto` (default) pins on Linux with two or more CPUs and `taskset` installed, and
 * says so in the results otherwise; `on` fails rather than run unpinned; `off` never pins.
 */
export type PinMode = 'auto' | 'on' | 'off';

export interface Placement {
  /** The CPU of the load generator, or undefined when nothing is pinned. */
  readonly client?: number;
  /** The CPU of every server process. */
  readonly server?: number;
  /** What the results say about it. */
  readonly description: string;
}

let current: Placement = { description: 'unpinned' };

/** The command that runs `argv` (an executable and its arguments) on the servers' CPU. */
export function serverCommand(argv: readonly string[]): [string, string[]] {
  const cpu = current.server;
  return cpu === undefined ? [argv[0]!, argv.slice(1)] : ['taskset', ['-c', String(cpu), ...argv]];
}

export function parsePinMode(raw: string | undefined): PinMode {
  const mode = raw === undefined || raw === '' ? 'auto' : raw;
  if (mode === 'auto' || mode === 'on' || mode === 'off') return mode;
  throw new Error(`BENCH_PIN must be auto, on or off (got "${raw}")`);
}

const taskset = (args: readonly string[]) => spawnSync('taskset', args, { encoding: 'utf8' });

/** Why this machine cannot pin, or undefined when it can. */
function cannotPin(): string | undefined {
  if (process.platform !== 'linux') return `not on Linux (${process.platform})`;
  if (availableParallelism() < 2) return 'one CPU';
  const probe = taskset(['-p', String(process.pid)]);
  if (probe.error || probe.status !== 0) return 'taskset is not installed (util-linux)';
  return undefined;
}

/**
 * Runs `fn` with this process (every thread of it) on CPU 0 and the servers it starts on CPU 1,
 * then gives this process back the CPUs it had. Where it cannot pin, `fn` runs unpinned and the
 * placement says why.
 */
export async function withPlacement<T>(mode: PinMode, fn: (placement: Placement) => Promise<T>): Promise<T> {
  const reason = mode === 'off' ? 'BENCH_PIN=off' : cannotPin();
  if (reason !== undefined && mode === 'on')
    throw new Error(`BENCH_PIN=on, but this machine cannot pin: ${reason}`);
  const restore = reason === undefined ? pinSelf(0) : undefined;
  current =
    reason === undefined
      ? { client: 0, server: 1, description: 'load generator on CPU 0, every server on CPU 1 (taskset)' }
      : { description: `unpinned (${reason}): servers and load generator share the CPUs` };
  try {
    return await fn(current);
  } finally {
    current = { description: 'unpinned' };
    restore?.();
  }
}

/** Puts every thread of this process on `cpu`; returns what gives it back the CPUs it had. */
function pinSelf(cpu: number): () => void {
  const mask = /:\s*([0-9a-f,]+)\s*$/i.exec(taskset(['-p', String(process.pid)]).stdout)?.[1];
  if (mask === undefined) throw new Error('BENCH_PIN: could not read this process’s CPU mask');
  const pin = (args: readonly string[]) => {
    const result = taskset(['-a', '-p', ...args, String(process.pid)]);
    if (result.status !== 0) throw new Error(`taskset ${args.join(' ')} failed: ${result.stderr.trim()}`);
  };
  pin(['-c', String(cpu)]);
  return () => pin([mask]);
}
