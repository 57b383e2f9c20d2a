import type { Summary } from './stats.js';
import type { BenchConfig } from './config.js';

/** What every section receives. */
export interface BenchContext {
  readonly config: BenchConfig;
  /** A progress line on stderr (stdout carries the tables). */
  log(message: string): void;
}

/** One variant's samples, summarised, in the unit it was measured in. */
export interface Measured {
  readonly name: string;
  readonly unit: string;
  readonly summary: Summary;
}

/** A printable table: the same rows go to the terminal, the Markdown file and the README. */
export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes?: readonly string[];
}

/** One bar of the chart: a median with its min–max whisker. */
export interface ChartBar {
  readonly label: string;
  readonly summary: Summary;
  /** Printed after the bar, e.g. the ratio to the baseline. */
  readonly note?: string;
  /** Highlights vidcache's own bars. */
  readonly ours?: boolean;
}

export interface ChartPanel {
  readonly title: string;
  readonly unit: string;
  readonly scale: 'linear' | 'log';
  readonly bars: readonly ChartBar[];
  /** A dashed vertical line, e.g. a target: "≤ 300 ns", "0.9× constant". */
  readonly marker?: { readonly value: number; readonly label: string };
}
