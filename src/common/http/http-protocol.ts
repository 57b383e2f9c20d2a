import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

interface RouteSeen {
  method: string | string[];
  url: string;
}

interface KnownRoute {
  pattern: RegExp;
  /** No parameter or wildcard: Fastify prefers it over a parametric route matching the same path. */
  isStatic: boolean;
  methods: Set<string>;
}

class HttpProtocolError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A Fastify route pattern (`/users/:id/queue/:videoId`, `/docs/*`) as a regular expression. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) =>
      segment.startsWith(':')
        ? '[^/]+'
        : segment === '*'
          ? '.*'
          : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/** `application/json`, or a JSON-based type such as `application/merge-patch+json`. */
const isJsonType = (type: string) =>
  /^application\/([\w.-]+\+)?json$/.test(type.split(';')[0]!.trim().toLowerCase());

/** The 415 of a body that is not JSON or the 413 of one over the limit, before anything reads it. */
function bodyError(
  headers: Record<string, string | string[] | undefined>,
  bodyLimit: number,
): HttpProtocolError | undefined {
  const length = Number(headers['content-length'] ?? 0);
  const hasBody = length > 0 || headers['transfer-encoding'] !== undefined;
  if (!hasBody) return undefined;
  const type = headers['content-type'];
  if (typeof type !== 'string' || !isJsonType(type)) {
    const got = typeof type === 'string' ? JSON.stringify(type) : 'no content-type';
    return new HttpProtocolError(
      415,
      `body must be JSON, sent with content-type: application/json (got ${got})`,
    );
  }
  if (length > bodyLimit) {
    return new HttpProtocolError(
      413,
      `body is ${length} bytes, over the limit of ${bodyLimit} bytes (BODY_LIMIT)`,
    );
  }
  return undefined;
}

/**
 * What plain Fastify leaves vague, said plainly, in one place:
 *
 * 1. A known path with a method it does not serve is a 405 with `Allow` (Fastify answers 404: it
 *    routes by method and path together). The routes are recorded as they are registered.
 * 2. A body that is not JSON is a 415 that says which media type is expected (Fastify would parse
 *    `text/plain` as a string, or a form, and let validation list every field as missing).
 * 3. A body over the limit is a 413 that states the limit (Fastify's says only "too large"); a
 *    chunked body without a length still meets Fastify's own check.
 *
 * Call before `app.init()`, so that the route hook sees every route.
 */
export function useHttpProtocolMessages(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  const routes: KnownRoute[] = [];
  const byUrl = new Map<string, Set<string>>();

  fastify.addHook('onRoute', (route: RouteSeen) => {
    let methods = byUrl.get(route.url);
    if (!methods) {
      methods = new Set();
      byUrl.set(route.url, methods);
      routes.push({ pattern: patternOf(route.url), isStatic: !/[:*]/.test(route.url), methods });
    }
    for (const method of [route.method].flat()) methods.add(method.toUpperCase());
  });

  // A callback hook, not an async one: a routed request (nearly all) passes without a promise.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url !== undefined) {
      done(bodyError(request.headers, bodyLimit));
      return;
    }
    void answerUnrouted(request, reply).then(() => done(), done);
  });

  /** A 405 with `Allow` when the path is known under other methods; otherwise Fastify's 404. */
  const answerUnrouted = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // Dot segments are resolved as the router resolves them (`/users/..` is `/`).
    const path = new URL(request.url, 'http://localhost').pathname;
    const matching = routes.filter(({ pattern }) => pattern.test(path));
    const routing = matching.some((route) => route.isStatic)
      ? matching.filter((route) => route.isStatic)
      : matching;
    const allowed = new Set(routing.flatMap(({ methods }) => [...methods]));
    if (allowed.size === 0) return;
    const allow = [...allowed].sort().join(', ');
    await reply
      .code(405)
      .header('Allow', allow)
      .send({
        statusCode: 405,
        error: 'Method Not Allowed',
        message: `${request.method} is not allowed on ${path}; allowed: ${allow}`,
      });
  };
}
