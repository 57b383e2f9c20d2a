/** Median and range of the samples of one variant (one sample per round). */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, samples };
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, samples };
}

/**
 * The ratio of two variants measured in the same rounds, round by round: A and B ran back to back
 * in each round, so each round's ratio cancels the drift of the machine between rounds.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): Summary {
  const rounds = Math.min(a.length, b.length);
  return summarize(Array.from({ length: rounds }, (_, i) => a[i]! / b[i]!));
}

/** `1.23 M`, `456 k`, `789`: a rate or count in a table cell. */
export function si(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toPrecision(digits)} G`;
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(digits)} M`;
  if (abs >= 1e4) return `${(value / 1e3).toPrecision(digits)} k`;
  return abs >= 100 ? value.toFixed(0) : value.toPrecision(digits);
}

/** A duration given in nanoseconds, in the unit that reads best. */
export function duration(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns >= 1e9) return `${(ns / 1e9).toPrecision(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toPrecision(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toPrecision(3)} µs`;
  return `${ns.toPrecision(3)} ns`;
}

/** `median (min–max)` with one formatter. */
export function range(summary: Summary, format: (value: number) => string): string {
  return `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})`;
}

export const ratioText = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');

export const percent = (value: number, digits = 1) =>
  Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : 'n/a';

export const bytes = (value: number) =>
  !Number.isFinite(value)
    ? 'n/a'
    : value >= 1024 * 1024
      ? `${(value / 1024 / 1024).toFixed(2)} MiB`
      : value >= 1024
        ? `${(value / 1024).toFixed(1)} KiB`
        : `${Math.round(value)} B`;
