import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { Deferred, settle } from '../../test/fixtures/deferred.js';
import { FakeClock } from '../../test/fixtures/clock.js';
import { createHybrid, type HybridHandle } from '../../test/fixtures/redis.js';
import { cacheTracing, CACHE_SPAN_ATTRIBUTE as A } from './cache-tracing.js';

const MINUTE = 60_000;
const policies = { item: { l1TtlMs: MINUTE, l2TtlMs: MINUTE, jitter: 0, graceMs: MINUTE } };

describe('cache spans', () => {
  const exporter = new InMemorySpanExporter();
  let handle: HybridHandle | undefined;

  afterEach(async () => {
    await handle?.close();
    handle = undefined;
    exporter.reset();
    trace.disable();
    context.disable();
    cacheTracing.detect();
  });

  /** A memory-only cache, built once a tracer provider is (or is not) registered, as the preload does. */
  const open = async (traced: boolean) => {
    if (traced) {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      trace.setGlobalTracerProvider(
        new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
      );
    }
    handle = await createHybrid({ policies, now: new FakeClock().now });
    return handle.cache;
  };
  const spans = () => exporter.getFinishedSpans();
  /** Runs `fn` in a recording span, as an HTTP request's span would be. */
  const inRequest = <T>(fn: () => Promise<T>) =>
    trace.getTracer('test').startActiveSpan('request', async (span) => {
      const result = await fn();
      span.end();
      return result;
    });

  it('without an SDK the guard is off, and reads, hits and evictions make no span', async () => {
    const cache = await open(false);
    await cache.wrap('item', 'k', async () => 'v');
    await cache.wrap('item', 'k', async () => 'v');
    await cache.delete('item', 'k');

    expect(cacheTracing.on).toBe(false);
    expect(spans()).toEqual([]);
  });

  it('a miss and a hit are one span each, named for the namespace, with the tier that answered', async () => {
    const cache = await open(true);
    expect(cacheTracing.on).toBe(true);

    await inRequest(() => cache.wrap('item', 'k', async () => 'v'));
    await inRequest(() => cache.wrap('item', 'k', async () => 'other'));

    const [miss, hit] = spans().filter((s) => s.name !== 'request');
    expect(miss!.name).toBe('cache.read item');
    expect(miss!.attributes).toMatchObject({ [A.namespace]: 'item', [A.tier]: 'miss', [A.joined]: false });
    expect(miss!.attributes[A.loadMs]).toEqual(expect.any(Number));
    expect(hit!.name).toBe('cache.read item');
    expect(hit!.attributes).toMatchObject({ [A.tier]: 'l1' });
    expect(spans()).toHaveLength(4);
  });

  it('an L1 hit outside a recording span (no request, or one the sampler dropped) makes no span', async () => {
    const cache = await open(true);
    await cache.wrap('item', 'k', async () => 'v');
    exporter.reset();

    await cache.wrap('item', 'k', async () => 'other');
    const unsampled = trace.wrapSpanContext({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 0,
    });
    await context.with(trace.setSpan(context.active(), unsampled), () =>
      cache.wrap('item', 'k', async () => 'x'),
    );

    expect(spans()).toEqual([]);
    expect(cache.stats().namespaces.item!.l1.hits).toBe(2);
  });

  it('a read that joins a load in flight says so, and carries the duration of the load it joined', async () => {
    const cache = await open(true);
    const gate = new Deferred<string>();

    const first = cache.wrap('item', 'cold', () => gate.promise);
    const second = cache.wrap('item', 'cold', () => gate.promise);
    await settle();
    gate.resolve('v');
    await Promise.all([first, second]);

    // The joiner's span may end first: order by whether it joined.
    const reads = spans()
      .filter((s) => s.name === 'cache.read item')
      .sort((a, b) => Number(a.attributes[A.joined]) - Number(b.attributes[A.joined]));
    expect(reads.map((s) => s.attributes[A.joined])).toEqual([false, true]);
    expect(reads.map((s) => s.attributes[A.tier])).toEqual(['miss', 'miss']);
    expect(reads[1]!.attributes[A.loadMs]).toBe(reads[0]!.attributes[A.loadMs]);
  });

  it('a stale value served because the source failed is tier stale', async () => {
    const clock = new FakeClock();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(
      new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    );
    handle = await createHybrid({ policies, now: clock.now });
    await handle.cache.wrap('item', 'k', async () => 'old');
    clock.advance(MINUTE + 1_000);
    exporter.reset();

    await expect(handle.cache.wrap('item', 'k', () => Promise.reject(new Error('down')))).resolves.toBe(
      'old',
    );

    expect(spans().map((s) => s.attributes[A.tier])).toEqual(['stale']);
  });

  it('a failed load marks its read span as an error', async () => {
    const cache = await open(true);

    await expect(cache.wrap('item', 'bad', () => Promise.reject(new Error('source down')))).rejects.toThrow(
      'source down',
    );

    const [read] = spans();
    expect(read!.status).toMatchObject({ code: 2, message: 'source down' });
  });

  it('an eviction is a span, a child of the write that asked for it', async () => {
    const cache = await open(true);
    const tracer = trace.getTracer('test');

    await tracer.startActiveSpan('write', async (write) => {
      await cache.delete('item', 'k');
      write.end();
    });

    const evict = spans().find((s) => s.name === 'cache.evict')!;
    const write = spans().find((s) => s.name === 'write')!;
    expect(evict.attributes).toMatchObject({ [A.origin]: 'local', [A.keys]: 1 });
    expect(evict.spanContext().traceId).toBe(write.spanContext().traceId);
    expect(evict.parentSpanContext?.spanId).toBe(write.spanContext().spanId);
  });
});
