import 'reflect-metadata';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { Logger } from '@nestjs/common';
import { cacheTracing } from '../src/cache/cache-tracing.js';
import { createHybrid } from '../test/fixtures/redis.js';
import { alternate, calibrate, nsPerOp, type Batch } from './lib/harness.js';
import { benchItem } from './lib/payload.js';
import { pairedRatio, summarize } from './lib/stats.js';

/**
 * The hot path's cost of tracing: an L1 hit through `wrap` (memory-only, 1,000 hot keys, each
 * batch inside one request span) with tracing off (no SDK: what a replica without
 * OTEL_EXPORTER_OTLP_ENDPOINT runs), on with every span sampled (exported in batches to an exporter
 * that drops them, so the network is not measured), and on with nothing sampled. The variants
 * alternate round by round in one process.
 *
 * `npm run bench:tracing` (ROUNDS=n to change the 15 rounds).
 */
const HOUR = 3_600_000;
const HOT_KEYS = 1_000;
const ROUNDS = Number(process.env.ROUNDS ?? 15);

Logger.overrideLogger(['error']);

const dropping: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};
const provider = (ratio: number) =>
  new TracerProvider({
    sampler: ratio === 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(ratio),
    spanProcessors: [new BatchSpanProcessor({ exporter: dropping, maxQueueSize: 65_536 })],
  });
const providers = { 'on, all sampled': provider(1), 'on, none sampled': provider(0) };
const contextManager = new AsyncLocalStorageContextManager().enable();

/** Registers the variant's provider (or none), as the preload would have at start. */
function use(variant: 'off' | keyof typeof providers): void {
  trace.disable();
  context.disable();
  if (variant !== 'off') {
    context.setGlobalContextManager(contextManager);
    trace.setGlobalTracerProvider(providers[variant]);
  }
  cacheTracing.detect();
}

const handle = await createHybrid({
  policies: { bench: { l1TtlMs: HOUR, l2TtlMs: HOUR, jitter: 0, earlyRefresh: 0 } },
});
const { cache } = handle;
const loader = () => Promise.resolve(benchItem(0));
for (let i = 0; i < HOT_KEYS; i++)
  await cache.wrap('bench', ['item', i], () => Promise.resolve(benchItem(i)));

const hits: Batch = async (n) => {
  let last: unknown;
  for (let i = 0; i < n; i++) last = await cache.wrap('bench', ['item', i % HOT_KEYS], loader);
  return last;
};
/** The hits inside one request's span, sampled or not as the provider decides, as in the service. */
const batch: Batch = (n) =>
  trace.getTracer('bench').startActiveSpan('request', async (span) => {
    const last = await hits(n);
    span.end();
    return last;
  });
const loadsBefore = cache.stats().namespaces.bench!.loads;
use('off');
const n = await calibrate(batch, 200);
const names = ['off', 'on, all sampled', 'on, none sampled'] as const;
const samples = await alternate(
  names.map((name) => ({
    name,
    run: async () => {
      use(name);
      if (!cacheTracing.on !== (name === 'off')) throw new Error(`tracing guard wrong for ${name}`);
      return nsPerOp(batch, n);
    },
  })),
  { rounds: ROUNDS, warmupRounds: 3 },
);
const off = samples.get('off')!;
console.log(
  `L1 hit through wrap, ${HOT_KEYS} hot keys, ${n} calls per sample, ${ROUNDS} rounds (median [min–max]):`,
);
for (const name of names) {
  const s = summarize(samples.get(name)!);
  const ratio = pairedRatio(samples.get(name)!, off);
  console.log(
    `  ${name.padEnd(18)} ${s.median.toFixed(0)} ns/op [${s.min.toFixed(0)}–${s.max.toFixed(0)}]` +
      `  × ${ratio.median.toFixed(2)} of off [${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}]`,
  );
}
const loads = cache.stats().namespaces.bench!.loads - loadsBefore;
console.log(`  loads while measuring: ${loads} (0: every call was an L1 hit)`);
await Promise.all(Object.values(providers).map((p) => p.shutdown()));
await handle.close();
