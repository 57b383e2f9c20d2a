import { FastifyOtelInstrumentation } from '@fastify/otel';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { register as registerSyncHooks, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';
import { register } from 'node:module';
import { DEFAULT_SERVICE_NAME, INSTRUMENTED_MODULES, UNTRACED_PATHS } from './telemetry.constants.js';

/**
 * Starts the OpenTelemetry SDK for traces, configured by the standard `OTEL_*` variables (endpoint,
 * protocol `http/protobuf` or `http/json`, service name, sampler, batch delay), with the HTTP,
 * Fastify, `pg` and `ioredis` instrumentations. Called by the preload, before main.js is imported.
 *
 * Traces are what this exports: metrics and logs have their own channels (Prometheus, stdout), so
 * their OTLP exporters stay off unless `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER` ask for them.
 */
export async function startTracing(): Promise<void> {
  const acknowledged = hookEsmImports();
  const sdk = new NodeSDK({
    serviceName: named(process.env) ? undefined : DEFAULT_SERVICE_NAME,
    ...(process.env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
    ...(process.env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => isUntracedPath(request.url) }),
      // Fastify's own instrumentation (the contrib one is deprecated for Fastify 5), attached to
      // every Fastify instance when it is created, so Nest's adapter needs no change. The request
      // and route-handler spans only: a span per lifecycle hook would be a dozen per request.
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        instrumentHooks: false,
        ignorePaths: (route) => isUntracedPath(route.url),
      }),
      // Queries outside any traced work (pool housekeeping) would each be a trace of their own.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation(),
    ],
  });
  sdk.start();
  await acknowledged();
  // A process that ends by running out of work flushes the spans still queued; one ended by a
  // signal loses at most the last batch delay's worth (OTEL_BSP_SCHEDULE_DELAY).
  process.once('beforeExit', () => void sdk.shutdown());
}

/** Whether the standard variables name the service (a name given here would override them). */
const named = (env: NodeJS.ProcessEnv) =>
  Boolean(env.OTEL_SERVICE_NAME) || /(^|,)\s*service\.name=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '');

const isUntracedPath = (url: string | undefined): boolean =>
  url !== undefined &&
  UNTRACED_PATHS.some((path) =>
    path.endsWith('/') ? url.startsWith(path) : url === path || url.startsWith(`${path}?`),
  );

/**
 * `pg` and `ioredis` are imported by ES modules, which `require` hooks never see: the loader hook of
 * `import-in-the-middle` (the one the instrumentations register with) wraps them, and only them.
 * In-thread where Node supports synchronous hooks. Otherwise on the loader thread, which learns the
 * instrumented modules from the instrumentations' hooks by message: the returned function waits
 * until it acknowledged them, so that the application's first imports are already patched.
 */
function hookEsmImports(): () => Promise<void> {
  if (supportsSyncHooks()) {
    registerSyncHooks({ include: [...INSTRUMENTED_MODULES] });
    return () => Promise.resolve();
  }
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  return waitForAllMessagesAcknowledged;
}
