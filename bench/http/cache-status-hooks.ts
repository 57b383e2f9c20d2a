import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onSendHookHandler,
  onRequestHookHandler,
} from 'fastify';
import { cacheStatus, type CacheContext, type CacheOutcome } from '../../src/cache/index.js';

/** The route the prototype serves (see `BenchController.vidcacheHookHeader`). */
export const HOOK_HEADER_ROUTE = '/bench/vidcache-hook-header/:id';

/**
 * PROTOTYPE, not in src/cache: the `Cache-Status` header set by two Fastify route hooks instead of
 * a Nest interceptor. `onRequest` opens the request's outcome record (the same AsyncLocalStorage
 * as `CacheStatusInterceptor`, through `CacheContext.runWith`) and `onSend` turns it into the
 * header, so no Observable wraps the handler. Attached to {@link HOOK_HEADER_ROUTE} only, through
 * `onRoute`, so every other route is served exactly as before. Must be installed before the app
 * registers its routes (before `listen`/`init`).
 */
export function installCacheStatusHooks(fastify: FastifyInstance, context: CacheContext): void {
  const outcomesOf = new WeakMap<FastifyRequest, CacheOutcome[]>();
  const onRequest: onRequestHookHandler = (request, _reply, done) => {
    const outcomes: CacheOutcome[] = [];
    outcomesOf.set(request, outcomes);
    context.runWith(outcomes, () => done());
  };
  const onSend: onSendHookHandler = (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    const value = cacheStatus(outcomesOf.get(request) ?? []);
    if (value !== undefined) reply.header('Cache-Status', value);
    done(null, payload);
  };
  fastify.addHook('onRoute', (route) => {
    if (route.url !== HOOK_HEADER_ROUTE) return;
    route.onRequest = [onRequest];
    route.onSend = [onSend];
  });
}
