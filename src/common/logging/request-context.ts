import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Ids accepted from clients: short, and safe to print in a log line or a header. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();
const resources = new WeakMap<FastifyRequest, AsyncResource>();

/** The id of the request being handled, or undefined outside a request. */
export const currentRequestId = (): string | undefined => storage.getStore()?.requestId;

/** The client's `X-Request-Id` when it is a sensible id, a new UUID otherwise. */
export function pickRequestId(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate !== undefined && VALID_REQUEST_ID.test(candidate) ? candidate : randomUUID();
}

/**
 * Gives every request an id (echoed in `X-Request-Id`) and runs the rest of its handling (guards,
 * pipes, controller, services, exception filter) inside an AsyncLocalStorage context holding it,
 * so every log line written meanwhile carries it.
 *
 * Fastify parses bodies in callbacks that belong to the socket, not to the request, so the context
 * is re-entered before validation and before the handler (as `@fastify/request-context` does).
 */
export function installRequestContext(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const requestId = pickRequestId(request.headers[REQUEST_ID_HEADER]);
    void reply.header(REQUEST_ID_HEADER, requestId);
    storage.run({ requestId }, () => {
      const resource = new AsyncResource('vidcache.request');
      resources.set(request, resource);
      resource.runInAsyncScope(done);
    });
  });
  const reenter = (request: FastifyRequest, _reply: unknown, done: () => void) => {
    const resource = resources.get(request);
    if (resource) resource.runInAsyncScope(done);
    else done();
  };
  fastify.addHook('preValidation', reenter);
  fastify.addHook('preHandler', reenter);
}

/** Runs `fn` as if inside a request with this id (background work started by a request, tests). */
export const runWithRequestId = <T>(requestId: string, fn: () => T): T => storage.run({ requestId }, fn);
