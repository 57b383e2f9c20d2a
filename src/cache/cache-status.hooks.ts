import { Injectable, Logger, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { CacheContext } from './cache-context.js';
import { cacheStatus } from './cache-status.js';

/** The route `config` key that turns the header off for one route: `@RouteConfig({ cacheStatus: false })`. */
export const CACHE_STATUS_ROUTE_CONFIG = 'cacheStatus';

type PreHandler = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void;
type OnSend = (
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (error: null, payload: unknown) => void,
) => void;

/** A route's hooks of one kind (none, one, or several) with ours last. */
const append = <H>(existing: H | H[] | undefined, hook: H): H[] =>
  existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]), hook];

/**
 * `Cache-Status` for Fastify apps, without a Nest interceptor: a `preHandler` hook on every route
 * runs the handler with a fresh record of cache outcomes (AsyncLocalStorage, through
 * {@link CacheContext}), and an `onSend` hook, which Fastify calls from inside that context when
 * the handler's response is sent, turns the record into the header. Nest's interceptor pipeline
 * wraps every call in Observables and async scopes; on the L1-hit route that cost more than the
 * cache itself (bench/README.md). `CacheStatusInterceptor` does the same on any adapter.
 *
 * The record holds the outcomes and nothing else. Holding the reply in it (to write the header
 * as each outcome is recorded, without the `onSend` hook) made the garbage collector's work per
 * request six times larger and cost about 20% of a constant route's throughput: every async
 * resource created during the request keeps the record, and so the reply, alive.
 */
@Injectable()
export class CacheStatusHooks {
  private readonly logger = new Logger('CacheStatus');
  private installed = false;

  constructor(
    private readonly context: CacheContext,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /**
   * Attaches the hook to every route registered from now on (call before the router is
   * registered). Returns false when the app does not run on Fastify (or has no HTTP server).
   */
  install(): boolean {
    const adapter = this.adapterHost?.httpAdapter;
    if (this.installed || !adapter || adapter.getType() !== 'fastify') return this.installed;
    const fastify = adapter.getInstance<FastifyInstance>();
    const context = this.context;
    const preHandler: PreHandler = (_request, _reply, done) => context.run(done);
    const onSend: OnSend = (_request, reply, payload, done) => {
      const value = cacheStatus(context.outcomes());
      // Lower case, as Fastify keeps it: no new string for V8 to look up on every response.
      if (value !== undefined) void reply.header('cache-status', value);
      done(null, payload);
    };
    fastify.addHook('onRoute', (route: RouteOptions) => {
      const config = route.config as Record<string, unknown> | undefined;
      if (config?.[CACHE_STATUS_ROUTE_CONFIG] === false) return;
      route.preHandler = append(route.preHandler, preHandler);
      route.onSend = append(route.onSend, onSend);
    });
    this.installed = true;
    this.logger.debug('Cache-Status is written by Fastify route hooks');
    return true;
  }
}
