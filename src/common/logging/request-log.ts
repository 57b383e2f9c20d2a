import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER } from './request-context.js';

/** The fields of one request's log line. */
export interface RequestLogFields {
  method: string;
  /** The route's pattern (`/videos/:id`), so lines group by endpoint; the raw path when none matched. */
  route: string;
  status: number;
  durationMs: number;
  /** Where the answer came from: `l1`, `l2`, `stale`, `miss`, `bypass`, or `none` when no cache was read. */
  cache: string;
  requestId: string | undefined;
}

/** The tier named by a `Cache-Status` value (`vidcache; hit; detail=l1` → `l1`, `…; fwd=miss` → `miss`). */
export function cacheTierOf(cacheStatus: unknown): string {
  if (typeof cacheStatus !== 'string') return 'none';
  return /(?:detail|fwd)=([a-z0-9]+)/.exec(cacheStatus)?.[1] ?? 'none';
}

export function requestLogFields(request: FastifyRequest, reply: FastifyReply): RequestLogFields {
  const requestId = reply.getHeader(REQUEST_ID_HEADER);
  return {
    method: request.method,
    route: request.routeOptions.url ?? request.url,
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 10) / 10,
    cache: cacheTierOf(reply.getHeader('cache-status')),
    requestId: typeof requestId === 'string' ? requestId : undefined,
  };
}

/**
 * One debug line per request, written after the response is sent. Installed only when the
 * debug level is on (`LOG_LEVEL=debug`): with it off no hook exists, so a request pays nothing,
 * not even the check.
 *
 * @returns whether the hook was installed
 */
export function installRequestLog(fastify: FastifyInstance, logger = new Logger('Request')): boolean {
  if (!Logger.isLevelEnabled('debug')) return false;
  fastify.addHook('onResponse', (request, reply, done) => {
    const fields = requestLogFields(request, reply);
    logger.debug(`${fields.method} ${fields.route} ${fields.status} ${fields.durationMs} ms`, fields);
    done();
  });
  return true;
}
