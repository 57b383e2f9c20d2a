import { Counter, Gauge, type Registry } from 'prom-client';

export type Labels = Record<string, string>;
/** The current values of a metric's series, as `[labels, value]` pairs. */
export type SeriesValues = () => (readonly [Labels, number])[];

export interface MetricDefinition {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

/**
 * A counter mirroring counts kept elsewhere (the cache's and the warm-up's plain counters): at each
 * scrape it adds what every count grew since the last one, so the code being measured never
 * touches prom-client. The exported value never decreases: a count that shrinks for a moment (the
 * cache turns a miss into a stale hit after the fact) is not added again until it grows past its
 * highest value.
 */
export function mirroredCounter(
  registry: Registry,
  definition: MetricDefinition,
  values: SeriesValues,
): Counter {
  const seen = new Map<string, number>();
  return new Counter({
    ...definition,
    registers: [registry],
    collect() {
      for (const [labels, value] of values()) {
        const key = JSON.stringify(labels);
        const last = seen.get(key);
        // A new series appears at once at its current value (0 included), so dashboards see it.
        if (last === undefined) {
          this.inc(labels, Math.max(0, value));
          seen.set(key, Math.max(0, value));
        } else if (value > last) {
          this.inc(labels, value - last);
          seen.set(key, value);
        }
      }
    },
  });
}

/** A gauge set from values kept elsewhere, at each scrape. */
export function mirroredGauge(registry: Registry, definition: MetricDefinition, values: SeriesValues): Gauge {
  return new Gauge({
    ...definition,
    registers: [registry],
    collect() {
      for (const [labels, value] of values()) this.set(labels, value);
    },
  });
}
