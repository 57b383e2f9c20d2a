import {
  context,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import type { CacheTier } from './cache-context.js';
import type { EvictionSet } from './eviction-set.js';
import type { Flight } from './flights.js';

/** The instrumentation scope of the cache's spans. */
export const CACHE_TRACER = 'vidcache.cache';

/** Span attributes of the cache. */
export const CACHE_SPAN_ATTRIBUTE = {
  namespace: 'cache.namespace',
  /** The tier that answered a read: `l1`, `l2`, `stale` or `miss` (loaded from the source). */
  tier: 'cache.tier',
  /** Whether a read joined a load another read had started (single-flight). */
  joined: 'cache.joined',
  /** How long the source took for the load a read started or joined, in ms. */
  loadMs: 'cache.load_duration_ms',
  /** `local` (made here) or `remote` (another replica's, applied here). */
  origin: 'cache.eviction.origin',
  keys: 'cache.eviction.keys',
  patterns: 'cache.eviction.patterns',
  tags: 'cache.eviction.tags',
  namespaces: 'cache.eviction.namespaces',
} as const;

/** What a traced read learns on its way, for its span. */
export interface ReadTrace {
  joined: boolean;
  flight: Flight | undefined;
  tier: CacheTier | undefined;
}

/** The provider the API answers with while no SDK registered one. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

const READ_TIER: Partial<Record<CacheTier, string>> = { source: 'miss' };

/**
 * The cache's own spans, through `@opentelemetry/api` only: reads (one span each, named for the
 * namespace), evictions, and the bus messages that carry evictions to other replicas, in the same
 * trace as the write that caused them.
 *
 * {@link on} is the guard every caller checks first: without an SDK (no OTLP endpoint) it is false
 * and nothing here runs, so an L1 hit pays one property read, not a no-op span.
 */
export class CacheTracing {
  private enabled = false;
  private tracer = trace.getTracer(CACHE_TRACER);

  get on(): boolean {
    return this.enabled;
  }

  /**
   * Looks whether an SDK registered a tracer provider. The preload starts it before the application
   * is imported, so the cache stack looks once, when it is built.
   */
  detect(): void {
    const provider = trace.getTracerProvider();
    // A provider registered through another copy of the API is not our proxy class: an SDK too.
    const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
    this.enabled = delegate !== NOOP_PROVIDER;
    // Taken afresh: a tracer from before the provider was replaced would stay a no-op.
    this.tracer = trace.getTracer(CACHE_TRACER);
  }

  /**
   * An L1 hit: a span that starts and ends at once, inside the trace that asked (an HTTP request).
   * Outside a recording span (a request the sampler dropped, or no request at all) none is made: a
   * parent-based sampler would drop it anyway, and creating it costs the SDK microseconds per hit.
   */
  l1Hit(namespace: string): void {
    if (!trace.getActiveSpan()?.isRecording()) return;
    this.tracer
      .startSpan(`cache.read ${namespace}`, {
        attributes: { [CACHE_SPAN_ATTRIBUTE.namespace]: namespace, [CACHE_SPAN_ATTRIBUTE.tier]: 'l1' },
      })
      .end();
  }

  /**
   * A read L1 did not answer, in its span: the load it starts (L2, the source, and their client
   * spans) runs inside it. `read` fills the {@link ReadTrace} it is given.
   */
  read<T>(namespace: string, read: (note: ReadTrace) => Promise<T>): Promise<T> {
    const span = this.tracer.startSpan(`cache.read ${namespace}`, {
      attributes: { [CACHE_SPAN_ATTRIBUTE.namespace]: namespace },
    });
    const note: ReadTrace = { joined: false, flight: undefined, tier: undefined };
    const settle = (error?: unknown) => {
      span.setAttribute(CACHE_SPAN_ATTRIBUTE.joined, note.joined);
      if (note.tier) span.setAttribute(CACHE_SPAN_ATTRIBUTE.tier, READ_TIER[note.tier] ?? note.tier);
      if (note.flight?.loadMs !== undefined)
        span.setAttribute(CACHE_SPAN_ATTRIBUTE.loadMs, note.flight.loadMs);
      if (error !== undefined) failed(span, error);
      span.end();
    };
    return context
      .with(trace.setSpan(context.active(), span), () => read(note))
      .then(
        (value) => {
          settle();
          return value;
        },
        (error: unknown) => {
          settle(error);
          throw error;
        },
      );
  }

  /**
   * An eviction applied on this replica, in its span: one this replica made (a child of the write
   * that caused it), or one another replica made (a child of the bus message that brought it).
   */
  evict<T>(set: EvictionSet, origin: 'local' | 'remote', apply: () => T): T {
    const span = this.tracer.startSpan('cache.evict', {
      attributes: {
        [CACHE_SPAN_ATTRIBUTE.origin]: origin,
        [CACHE_SPAN_ATTRIBUTE.keys]: set.keys.length,
        [CACHE_SPAN_ATTRIBUTE.patterns]: set.patterns.length,
        [CACHE_SPAN_ATTRIBUTE.tags]: set.tags.length,
        [CACHE_SPAN_ATTRIBUTE.namespaces]: set.namespaces.length,
      },
    });
    return context.with(trace.setSpan(context.active(), span), () => endWith(span, apply));
  }

  /** The span context of the caller (the write asking for an eviction), to link the message to. */
  cause(): SpanContext | undefined {
    return trace.getSpanContext(context.active());
  }

  /**
   * A bus message, in a producer span: a child of the first write whose evictions it carries (so it
   * is in that write's trace), linked to every one of them. `send` gets the W3C `traceparent` that
   * the message carries to the other replicas.
   */
  publish<T>(
    causes: readonly SpanContext[],
    send: (traceparent: string | undefined) => Promise<T>,
  ): Promise<T> {
    const [first] = causes;
    const parent = first ? trace.setSpanContext(ROOT_CONTEXT, first) : ROOT_CONTEXT;
    const links: Link[] = causes.map((cause) => ({ context: cause }));
    const span = this.tracer.startSpan('cache.bus publish', { kind: SpanKind.PRODUCER, links }, parent);
    const active = trace.setSpan(parent, span);
    const carrier: { traceparent?: string } = {};
    propagation.inject(active, carrier);
    return context.with(active, () => endWith(span, () => send(carrier.traceparent)));
  }

  /** A bus message from another replica, in a consumer span continuing the sender's trace. */
  receive<T>(traceparent: string | undefined, handle: () => T): T {
    const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
    const span = this.tracer.startSpan('cache.bus receive', { kind: SpanKind.CONSUMER }, parent);
    return context.with(trace.setSpan(parent, span), () => endWith(span, handle));
  }
}

/** The one tracing of the process, as the tracer provider it reads is one per process. */
export const cacheTracing = new CacheTracing();

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** Runs `fn` and ends `span` when it returns or settles, marking it failed if it threw or rejected. */
function endWith<T>(span: Span, fn: () => T): T {
  let result: T;
  try {
    result = fn();
  } catch (error) {
    failed(span, error);
    span.end();
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        failed(span, error);
        span.end();
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}
