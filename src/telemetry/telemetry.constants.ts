/** The service name when `OTEL_SERVICE_NAME` (or `service.name` in `OTEL_RESOURCE_ATTRIBUTES`) says none. */
export const DEFAULT_SERVICE_NAME = 'vidcache';

/**
 * Modules the ESM loader hook wraps so the instrumentations can patch them; every other module is
 * left alone (wrapping costs startup time and can break modules that inspect their own exports).
 */
export const INSTRUMENTED_MODULES = ['pg', 'ioredis', 'fastify'] as const;

/**
 * Requests that are not traced (a path, or a prefix ending in `/`): probes and scrapes arrive every
 * few seconds from every kubelet and Prometheus, and a trace of each would drown the ones worth reading.
 */
export const UNTRACED_PATHS = ['/metrics', '/health/'] as const;
