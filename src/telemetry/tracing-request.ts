/**
 * Whether traces were asked for, by the standard variables only: an OTLP endpoint (for all signals
 * or for traces), and the SDK not disabled. Without one, the SDK is never loaded: the cache's spans
 * go to the API's no-op tracer, and the hot path does not even reach it (see `cacheTracing`).
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return Boolean(endpoint) && env.OTEL_SDK_DISABLED?.toLowerCase() !== 'true';
}
