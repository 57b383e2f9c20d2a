import { performance } from 'node:perf_hooks';

/**
 * The last result of every batch is stored here, so the optimiser cannot prove the work that
 * produced it unused and drop it.
 */
let sink: unknown;
export const lastSink = () => sink;

/**
 * A batch runs its operation `n` times and returns the last result. Each variant writes its own
 * loop (rather than the harness calling `op(i)` from one shared loop) so that every call site sees
 * a single function and the comparison is not skewed by a megamorphic call in the harness.
 */
export type Batch = (n: number) => unknown;

/** Nanoseconds per operation of one batch of `n`. */
export async function nsPerOp(batch: Batch, n: number): Promise<number> {
  const started = process.hrtime.bigint();
  sink = await batch(n);
  return Number(process.hrtime.bigint() - started) / n;
}

/** How many operations make a batch last about `targetMs`. */
export async function calibrate(batch: Batch, targetMs: number): Promise<number> {
  let n = 16;
  for (;;) {
    const started = performance.now();
    sink = await batch(n);
    const ms = performance.now() - started;
    if (ms >= targetMs / 4 || n >= 2 ** 30)
      return Math.max(1, Math.round((n * targetMs) / Math.max(ms, 1e-3)));
    n *= ms < targetMs / 64 ? 16 : 2;
  }
}

export interface Variant<R> {
  readonly name: string;
  /** One measurement of this variant: one sample of the round `round` (negative: warm-up). */
  run(round: number): Promise<R>;
}

export interface AlternateOptions {
  readonly rounds: number;
  /** Rounds run first and discarded (JIT warm-up, caches filled, connections open). */
  readonly warmupRounds: number;
  /** Called after each round, for progress output. */
  readonly onRound?: (round: number) => void;
}

/**
 * Runs the variants alternately, A B C, A B C, …, one sample of each per round, so that whatever
 * the machine does meanwhile (other processes, thermal drift, GC) lands on every variant alike.
 */
export async function alternate<R>(
  variants: readonly Variant<R>[],
  options: AlternateOptions,
): Promise<Map<string, R[]>> {
  const samples = new Map<string, R[]>(variants.map((variant) => [variant.name, []]));
  for (let round = -options.warmupRounds; round < options.rounds; round++) {
    for (const variant of variants) {
      const sample = await variant.run(round);
      if (round >= 0) samples.get(variant.name)!.push(sample);
    }
    if (round >= 0) options.onRound?.(round);
  }
  return samples;
}

/**
 * A closed loop: `concurrency` callers each issue the next operation as soon as their previous one
 * completes, for `durationMs`. Returns the completed operations per second.
 */
export async function closedLoop(
  op: (i: number) => Promise<unknown>,
  concurrency: number,
  durationMs: number,
): Promise<number> {
  let next = 0;
  let completed = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      sink = await op(next++);
      completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (completed / (performance.now() - started)) * 1000;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the garbage collector if the process was started with `--expose-gc`; says whether it ran. */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}
