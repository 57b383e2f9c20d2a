import { Histogram, type Registry } from 'prom-client';

/** One series: a method, a route pattern and a status, and its plain bucket counts. */
interface Series {
  readonly labels: { readonly method: string; readonly route: string; readonly status: string };
  /** `counts[i]`: observations in (`buckets[i-1]`, `buckets[i]`]; the last slot is above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  sharedLabels: Record<string, never>;
  metricName: string;
}

/**
 * The HTTP duration histogram, counted with plain increments and turned into prom-client's
 * samples at scrape time.
 *
 * prom-client's `observe(labels, value)` checks every label name and hashes the sorted label set
 * on each call: about 2.5 µs of every L1 hit in a CPU profile of the service, more than the cache
 * read itself. Here a request finds its series through three map lookups on strings Fastify
 * already holds (the route pattern, the method) and the status code, and adds to three numbers.
 * The exposition is the same as a prom-client histogram's: `_bucket` (cumulative, `le` last,
 * `+Inf` included), `_sum` and `_count` per label set.
 */
export class HttpDurationHistogram extends Histogram<'method' | 'route' | 'status'> {
  private readonly series = new Map<string, Map<string, Map<number, Series>>>();

  constructor(
    private readonly definition: { name: string; help: string; registers: Registry[] },
    private readonly bounds: readonly number[],
  ) {
    super({ ...definition, labelNames: ['method', 'route', 'status'], buckets: [...bounds] });
  }

  /** Records one response that took `seconds`. */
  record(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.series.get(route);
    if (byMethod === undefined) this.series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (series === undefined) {
      series = { labels: { method, route, status: String(status) }, counts: [], sum: 0, count: 0 };
      series.counts.length = this.bounds.length + 1;
      series.counts.fill(0);
      byStatus.set(status, series);
    }
    const { bounds } = this;
    let slot = 0;
    while (slot < bounds.length && seconds > bounds[slot]!) slot++;
    series.counts[slot]!++;
    series.sum += seconds;
    series.count++;
  }

  override reset(): void {
    // prom-client's constructor calls reset() before this class's fields exist.
    this.series?.clear();
  }

  /** prom-client's registry renders a histogram from this method (and `get()` builds on it). */
  async getForPromString() {
    return {
      name: this.definition.name,
      help: this.definition.help,
      type: 'histogram' as const,
      values: this.samples(),
      aggregator: 'sum' as const,
    };
  }

  private samples(): Sample[] {
    const { name } = this.definition;
    const samples: Sample[] = [];
    for (const byMethod of this.series.values()) {
      for (const byStatus of byMethod.values()) {
        for (const { labels, counts, sum, count } of byStatus.values()) {
          let cumulative = 0;
          this.bounds.forEach((le, i) => {
            cumulative += counts[i]!;
            samples.push({
              value: cumulative,
              labels: { le, ...labels },
              sharedLabels: {},
              metricName: `${name}_bucket`,
            });
          });
          samples.push(
            {
              value: count,
              labels: { le: '+Inf', ...labels },
              sharedLabels: {},
              metricName: `${name}_bucket`,
            },
            { value: sum, labels: { ...labels }, sharedLabels: {}, metricName: `${name}_sum` },
            { value: count, labels: { ...labels }, sharedLabels: {}, metricName: `${name}_count` },
          );
        }
      }
    }
    return samples;
  }
}
