import { Histogram, Registry } from 'prom-client';
import { HttpDurationHistogram } from './http-duration.histogram.js';
import { HTTP_DURATION_BUCKETS } from './metrics.constants.js';

const definition = { name: 'http_request_duration_seconds', help: 'HTTP request duration' };
const observations: [method: string, route: string, status: number, seconds: number][] = [
  ['GET', '/videos/:id', 200, 0.0001],
  ['GET', '/videos/:id', 200, 0.0005],
  ['GET', '/videos/:id', 200, 0.003],
  ['GET', '/videos/:id', 404, 0.02],
  ['POST', '/videos', 201, 0.4],
  ['GET', 'unmatched', 404, 7],
  ['GET', '/videos/:id', 200, 0.0005],
];

describe('HttpDurationHistogram', () => {
  it("exposes exactly what prom-client's histogram exposes for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const counted = new HttpDurationHistogram({ ...definition, registers: [ours] }, HTTP_DURATION_BUCKETS);
    const reference = new Histogram({
      ...definition,
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [theirs],
    });
    for (const [method, route, status, seconds] of observations) {
      counted.record(method, route, status, seconds);
      reference.observe({ method, route, status: String(status) }, seconds);
    }
    const sorted = (text: string) => text.split('\n').sort().join('\n');
    expect(sorted(await ours.metrics())).toEqual(sorted(await theirs.metrics()));
    expect(await ours.metrics()).toContain(
      'http_request_duration_seconds_bucket{le="0.0005",method="GET",route="/videos/:id",status="200"} 3',
    );
    expect((await ours.getMetricsAsJSON())[0]).toMatchObject({ name: definition.name, type: 'histogram' });
  });

  it('starts again from nothing when the registry is reset', async () => {
    const registry = new Registry();
    const counted = new HttpDurationHistogram(
      { ...definition, registers: [registry] },
      HTTP_DURATION_BUCKETS,
    );
    counted.record('GET', '/health/live', 200, 0.001);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('_count');
  });
});
