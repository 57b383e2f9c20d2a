/**
 * Preloaded before the application (`node --import ./dist/telemetry/preload.js dist/main.js`, as
 * `npm start`, the Dockerfile and the manifests run it): instrumentation must patch `pg`, `ioredis`
 * and Fastify before the application imports them, which in an ES module graph means before the
 * first `import` of main.js is resolved.
 *
 * Without an OTLP endpoint this imports nothing more: no SDK, no loader hook.
 */
import { tracingRequested } from './tracing-request.js';

if (tracingRequested(process.env)) {
  const { startTracing } = await import('./tracing.sdk.js');
  await startTracing();
}
