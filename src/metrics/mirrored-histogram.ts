import { Histogram, type Registry } from 'prom-client';

/** Bucket counts kept elsewhere: `counts[i]` observations in (`buckets[i-1]`, `buckets[i]`], the last one above every bound. */
export interface HistogramCounts {
  readonly buckets: readonly number[];
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  sharedLabels: Record<string, never>;
  metricName: string;
}

/**
 * A histogram whose buckets are counted elsewhere (the cache counts load durations itself, with
 * plain increments) and exported as they are at scrape time: bucket bounds, cumulative counts, sum
 * and count are exactly the source's, with no re-observation.
 */
export class MirroredHistogram extends Histogram {
  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly read: () => HistogramCounts;

  constructor(options: { name: string; help: string; registers: Registry[]; read: () => HistogramCounts }) {
    super({
      name: options.name,
      help: options.help,
      registers: options.registers,
      buckets: [...options.read().buckets],
    });
    this.metricName = options.name;
    this.metricHelp = options.help;
    this.read = options.read;
  }

  /** prom-client's registry renders a histogram from this method (and `get()` builds on it). */
  async getForPromString() {
    return {
      name: this.metricName,
      help: this.metricHelp,
      type: 'histogram',
      values: this.samples(),
      aggregator: 'sum',
    };
  }

  private samples(): Sample[] {
    const { buckets, counts, sum, count } = this.read();
    const bucket = `${this.metricName}_bucket`;
    const samples: Sample[] = [];
    let cumulative = 0;
    buckets.forEach((le, i) => {
      cumulative += counts[i] ?? 0;
      samples.push({ value: cumulative, labels: { le }, sharedLabels: {}, metricName: bucket });
    });
    samples.push(
      { value: count, labels: { le: '+Inf' }, sharedLabels: {}, metricName: bucket },
      { value: sum, labels: {}, sharedLabels: {}, metricName: `${this.metricName}_sum` },
      { value: count, labels: {}, sharedLabels: {}, metricName: `${this.metricName}_count` },
    );
    return samples;
  }
}

/** Creates and registers a {@link MirroredHistogram}. */
export const mirroredHistogram = (
  registry: Registry,
  definition: { name: string; help: string },
  read: () => HistogramCounts,
): MirroredHistogram => new MirroredHistogram({ ...definition, registers: [registry], read });
