import { Registry } from 'prom-client';
import { mirroredCounter, mirroredGauge } from './mirrored-metrics.js';
import { mirroredHistogram, type HistogramCounts } from './mirrored-histogram.js';

const lines = async (registry: Registry, name: string) =>
  (await registry.metrics()).split('\n').filter((line) => line.startsWith(name));

describe('mirrored metrics', () => {
  it('a mirrored counter exports the source’s count, and never decreases', async () => {
    const registry = new Registry();
    let count = 0;
    mirroredCounter(registry, { name: 'x_total', help: 'x', labelNames: ['kind'] }, () => [
      [{ kind: 'a' }, count],
    ]);

    expect(await lines(registry, 'x_total')).toEqual(['x_total{kind="a"} 0']);
    count = 5;
    expect(await lines(registry, 'x_total')).toEqual(['x_total{kind="a"} 5']);
    count = 4; // a transient decrease in the source
    expect(await lines(registry, 'x_total')).toEqual(['x_total{kind="a"} 5']);
    count = 7;
    expect(await lines(registry, 'x_total')).toEqual(['x_total{kind="a"} 7']);
  });

  it('a new series appears at its current value', async () => {
    const registry = new Registry();
    const series: [Record<string, string>, number][] = [[{ ns: 'a' }, 1]];
    mirroredCounter(registry, { name: 'y_total', help: 'y', labelNames: ['ns'] }, () => series);
    await registry.metrics();
    series.push([{ ns: 'b' }, 3]);
    expect(await lines(registry, 'y_total')).toEqual(['y_total{ns="a"} 1', 'y_total{ns="b"} 3']);
  });

  it('a mirrored gauge follows its source both ways', async () => {
    const registry = new Registry();
    let value = 10;
    mirroredGauge(registry, { name: 'g', help: 'g' }, () => [[{}, value]]);
    expect(await lines(registry, 'g ')).toEqual(['g 10']);
    value = 2;
    expect(await lines(registry, 'g ')).toEqual(['g 2']);
  });

  it('a mirrored histogram exports the source’s buckets cumulatively, with its sum and count', async () => {
    const registry = new Registry();
    const source: HistogramCounts = { buckets: [0.01, 0.1, 1], counts: [2, 0, 3, 1], sum: 4.2, count: 6 };
    mirroredHistogram(registry, { name: 'h_seconds', help: 'h' }, () => source);

    expect(await lines(registry, 'h_seconds')).toEqual([
      'h_seconds_bucket{le="0.01"} 2',
      'h_seconds_bucket{le="0.1"} 2',
      'h_seconds_bucket{le="1"} 5',
      'h_seconds_bucket{le="+Inf"} 6',
      'h_seconds_sum 4.2',
      'h_seconds_count 6',
    ]);
    expect((await registry.metrics()).includes('# TYPE h_seconds histogram')).toBe(true);
    const json = await registry.getMetricsAsJSON();
    expect(json[0]!.values).toHaveLength(6);
  });
});
