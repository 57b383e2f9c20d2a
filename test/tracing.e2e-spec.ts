import { AppProcess, buildIfNeeded, replicaEnv } from './fixtures/app-process.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { waitFor } from './fixtures/deferred.js';
import { OtlpReceiver, type ReceivedSpan } from './fixtures/otlp-receiver.js';
import { deletePrefix, rawClient, uniquePrefix } from './fixtures/redis.js';

const ADMIN_TOKEN = 'tracing-test-admin-token-0123456789';
const VIDEO = '/videos/vid_000007';

/** One line per span of a trace, indented under its parent: how the report shows a real trace. */
function render(spans: ReceivedSpan[]): string {
  const byParent = new Map<string | undefined, ReceivedSpan[]>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    byParent.set(parent, [...(byParent.get(parent) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of byParent.get(parent) ?? []) {
      const tier = span.attributes['cache.tier'] ?? span.attributes['cache.eviction.origin'];
      const load = span.attributes['cache.load_duration_ms'];
      lines.push(
        `${'  '.repeat(depth)}${span.service} ${span.name}${tier === undefined ? '' : ` [${tier}]`}` +
          `${load === undefined ? '' : ` load ${Number(load).toFixed(2)} ms`} ${span.durationMs.toFixed(2)} ms`,
      );
      walk(span.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

/**
 * Traces, end to end: two replicas of the built service (started as `npm start` starts them, with
 * the telemetry preload) export over OTLP/HTTP JSON to a receiver in this test.
 */
describe('OpenTelemetry traces across two replicas', () => {
  const redis = rawClient();
  const receiver = new OtlpReceiver();
  const prefix = uniquePrefix('tracing');
  let database: TestDatabase;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    buildIfNeeded();
    await receiver.start();
    database = await createTestDatabase();
    const env = (service: string) => ({
      ...replicaEnv({ prefix, databaseUrl: database.url, adminToken: ADMIN_TOKEN }),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: service,
      OTEL_TRACES_SAMPLER: 'always_on',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    a = new AppProcess(env('vidcache-a'));
    await a.start();
    b = new AppProcess(env('vidcache-b'));
    await b.start();
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await receiver.stop();
    await database?.drop();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  const spansOf = (service: string, name: string) =>
    receiver.spans.filter((s) => s.service === service && s.name === name);
  const trace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
  /** The server span of the request with this method whose route matched `path`, newest first. */
  const requestSpan = (service: string, method: string, path: string) =>
    receiver.spans
      .filter(
        (s) =>
          s.service === service &&
          s.attributes['http.request.method'] === method &&
          String(s.attributes['url.path'] ?? s.attributes['http.target'] ?? '') === path,
      )
      .at(-1);

  it('a miss, a hit, and a write whose eviction reaches the other replica in the same trace', async () => {
    // A miss on A (database), then a hit on A (L1); B reads it too, so it holds a copy to evict.
    expect((await a.fetch(VIDEO)).status).toBe(200);
    expect((await a.fetch(VIDEO)).status).toBe(200);
    expect((await b.fetch(VIDEO)).status).toBe(200);
    const patched = await a.fetch(VIDEO, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'traced title' }),
    });
    expect(patched.status).toBe(200);

    await waitFor(
      () =>
        spansOf('vidcache-b', 'cache.evict').some(
          (s) => s.attributes['cache.eviction.origin'] === 'remote',
        ) &&
        requestSpan('vidcache-a', 'PATCH', VIDEO) !== undefined &&
        spansOf('vidcache-a', 'cache.read video').length >= 2 &&
        spansOf('vidcache-b', 'cache.read video').length >= 1,
      15_000,
    );

    // The miss: one span named for the namespace, tier miss, with the load's duration, under the
    // HTTP request's span, and the database query (pg instrumentation) inside it.
    const [miss, hit] = spansOf('vidcache-a', 'cache.read video');
    expect(miss!.attributes).toMatchObject({
      'cache.namespace': 'video',
      'cache.tier': 'miss',
      'cache.joined': false,
    });
    expect(miss!.attributes['cache.load_duration_ms']).toEqual(expect.any(Number));
    const missTrace = trace(miss!.traceId);
    expect(missTrace.some((s) => s.attributes['http.request.method'] === 'GET')).toBe(true);
    expect(missTrace.some((s) => s.scope.includes('pg') && s.parentSpanId !== undefined)).toBe(true);
    expect(missTrace.some((s) => s.scope.includes('ioredis'))).toBe(true);
    // The hit: tier l1, a trace of its own.
    expect(hit!.attributes).toMatchObject({ 'cache.tier': 'l1' });
    expect(hit!.traceId).not.toBe(miss!.traceId);

    // B found A's value in Redis.
    expect(spansOf('vidcache-b', 'cache.read video')[0]!.attributes).toMatchObject({ 'cache.tier': 'l2' });

    // The write: its request's trace holds the bus message A published and, on B, the message
    // received and the eviction applied.
    const write = requestSpan('vidcache-a', 'PATCH', VIDEO)!;
    const writeTrace = trace(write.traceId);
    const publish = writeTrace.find((s) => s.service === 'vidcache-a' && s.name === 'cache.bus publish');
    const receive = writeTrace.find((s) => s.service === 'vidcache-b' && s.name === 'cache.bus receive');
    const remote = writeTrace.find(
      (s) =>
        s.service === 'vidcache-b' &&
        s.name === 'cache.evict' &&
        s.attributes['cache.eviction.origin'] === 'remote',
    );
    expect(publish).toBeDefined();
    expect(receive?.parentSpanId).toBe(publish!.spanId);
    expect(remote?.parentSpanId).toBe(receive!.spanId);
    expect(remote!.traceId).toBe(write.traceId);
    expect(publish!.links.length).toBeGreaterThanOrEqual(1);
    expect(publish!.links.every((link) => link.traceId === write.traceId)).toBe(true);

    // Probes (polled while the replicas started) are not traced.
    expect(receiver.spans.some((s) => String(s.attributes['url.path'] ?? '').startsWith('/health/'))).toBe(
      false,
    );

    // B measured how long the eviction took to reach it.
    const stats = (await (
      await b.fetch('/admin/cache/stats', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as { evictionDelays: { count: number } };
    expect(stats.evictionDelays.count).toBeGreaterThanOrEqual(1);

    console.log(
      `a real trace, miss:\n${render(missTrace)}\nhit:\n${render(trace(hit!.traceId))}\n` +
        `write and remote eviction:\n${render(writeTrace)}`,
    );
  }, 60_000);
});
