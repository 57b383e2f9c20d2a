import {
  Injectable,
  Logger,
  Optional,
  type CanActivate,
  type OnApplicationBootstrap,
  type Type,
} from '@nestjs/common';
import {
  GUARDS_METADATA,
  HEADERS_METADATA,
  HTTP_CODE_METADATA,
  INTERCEPTORS_METADATA,
  REDIRECT_METADATA,
} from '@nestjs/common/constants.js';
import { DiscoveryService, HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { AsyncResource } from 'node:async_hooks';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { cacheStatus } from './cache-status.js';
import { CacheableRegistry, type CacheableMethod } from './cacheable-registry.js';
import { jsonOf } from './immutable-value.js';
import { MISS } from './read-through.handler.js';
import { readEntry, type L1Entry } from './stores/memory.store.js';

/** The Fastify route `config` key that carries a route's {@link HitLaneOptions}. */
export const HIT_LANE_ROUTE_CONFIG = 'vidcacheHitLane';

export interface HitLaneOptions {
  /** The `@Cacheable` method whose value the route answers with, by label: `Class.method`. */
  readonly method: string;
  /**
   * The method's arguments for a request, from the route's path parameters, as the route's handler
   * would pass them; `undefined`, or a throw, when the handler should answer instead (input its
   * pipes refuse). It must accept exactly what the route's pipes accept.
   */
  readonly args: (params: Readonly<Record<string, string>>) => readonly unknown[] | undefined;
  /**
   * The values the handler answers as they are, with 200 (default: any object). Anything else
   * (`null` for an unknown id, answered with a 404) is left to the handler.
   */
  readonly serves?: (value: unknown) => boolean;
}

/**
 * A guard that can decide for the hit lane. Before answering, the lane asks every guard of the
 * route; `false` hands the request to Nest's pipeline, where the guard's `canActivate` runs and
 * must not count the request a second time.
 */
export interface HitLaneGuard extends CanActivate {
  admitHit(request: FastifyRequest, reply: FastifyReply, controller: Type, handler: object): boolean;
  /**
   * Called, in the same synchronous turn as {@link admitHit}, when the lane leaves a request this
   * guard was asked about to the pipeline (the guard refused, a later guard refused, or L1 missed):
   * a guard that counts keeps its decision for its `canActivate` here, so an answered hit (nearly
   * every request the lane sees) keeps nothing.
   */
  handOff?(request: FastifyRequest): void;
}

interface LaneSpec extends HitLaneOptions {
  readonly controller: Type;
  readonly handler: object;
}

/** One route's lane, resolved at bootstrap: until then it answers nothing. */
interface LaneRoute {
  readonly spec: LaneSpec;
  readonly url: string;
  method?: CacheableMethod;
  guards?: readonly HitLaneGuard[];
}

const isObject = (value: unknown): boolean => value !== null && typeof value === 'object';
const JSON_TYPE = 'application/json; charset=utf-8';
const L1_HIT = cacheStatus([{ namespace: '', tier: 'l1', stored: false }])!;
// Lower case, as Fastify keeps header names: an upper-case name is lower-cased into a new string
// on every call, which V8 then looks up in its string table (both visible in a `perf` profile).
const CACHE_STATUS = 'cache-status';

const hasBody = (request: FastifyRequest): boolean => {
  const { headers } = request;
  return (
    (headers['content-length'] !== undefined && headers['content-length'] !== '0') ||
    headers['transfer-encoding'] !== undefined
  );
};

const isLaneGuard = (guard: unknown): guard is HitLaneGuard =>
  typeof (guard as Partial<HitLaneGuard> | undefined)?.admitHit === 'function';

export class HitLaneError extends Error {
  override readonly name = 'HitLaneError';
}

/**
 * Marks a GET route whose answer is a `@Cacheable` method's value: while L1 holds that value, a
 * Fastify `onRequest` hook sends its JSON (serialized once per value) without entering Nest's
 * pipeline, as the handler would have answered it. Everything else, an L1 miss included, goes to
 * the handler as usual, and is counted there only.
 *
 * The lane keeps what a request through the pipeline would get: the hooks before it (request id,
 * protocol checks) and after it (metrics, logs) run as usual; each guard of the route decides
 * through {@link HitLaneGuard.admitHit}, and the app refuses to start when one cannot, or when the
 * route has an interceptor, a `@Header`, an `@HttpCode` or a `@Redirect` the lane would skip.
 *
 * @example
 * \@Get(':id')
 * \@ServeL1Hits({ method: 'VideosService.findById', args: ({ id }) => [VIDEO_ID.transform(id)] })
 * findOne(@Param('id', VIDEO_ID) id: string) { … }
 */
export function ServeL1Hits(options: HitLaneOptions): MethodDecorator {
  return (target, _key, descriptor) => {
    const handler = descriptor.value as object;
    const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) ?? {}) as object;
    const spec: LaneSpec = { ...options, controller: target.constructor as Type, handler };
    Reflect.defineMetadata(
      FASTIFY_ROUTE_CONFIG_METADATA,
      { ...config, [HIT_LANE_ROUTE_CONFIG]: spec },
      handler,
    );
    return descriptor;
  };
}

/**
 * The lane's answers of one turn of the event loop, sent together once the turn's I/O callbacks
 * have run (`setImmediate`), rather than one by one as each request is parsed.
 *
 * Why: on a loopback or a VM, a response written while its client sleeps in `epoll_wait` makes the
 * kernel wake that client (an inter-processor interrupt, a hypercall under virtualization), and the
 * server pays for it inside its `write`. Written back to back, the first answer of a batch wakes
 * the client and the others find it awake. Measured in one service process, alternating every 3 s
 * under autocannon (32 connections): 47–71 µs of CPU per L1 hit against 67–122 µs answered one by
 * one, with a lower p50 and p99 (bench/README.md). The wait is bounded by the turn: the requests
 * the same `epoll` wake-up delivered, each answered from memory.
 *
 * A value taken from L1 is immutable, so sending it a few microseconds later changes nothing it
 * says; the request was answered, as far as the cache is concerned, when L1 was read.
 */
export class ReplyBatch {
  private replies: FastifyReply[] = [];
  private bodies: string[] = [];
  /** Run outside any request's context: a log line written meanwhile must not take another's id. */
  private readonly flush = AsyncResource.bind(() => this.sendAll());

  constructor(private readonly onError: (error: unknown) => void) {}

  add(reply: FastifyReply, body: string): void {
    if (this.replies.push(reply) === 1) setImmediate(this.flush);
    this.bodies.push(body);
  }

  /** Answers waiting to be sent. */
  get size(): number {
    return this.replies.length;
  }

  private sendAll(): void {
    const { replies, bodies } = this;
    this.replies = [];
    this.bodies = [];
    for (let i = 0; i < replies.length; i++) {
      const reply = replies[i]!;
      try {
        void reply.header(CACHE_STATUS, L1_HIT).type(JSON_TYPE).send(bodies[i]);
      } catch (error) {
        // Not expected (Fastify handles its own errors); the other answers are still sent, and this
        // client gets a closed connection rather than a wait for an answer that cannot come.
        this.onError(error);
        reply.raw.destroy();
      }
    }
  }
}

/** Installs the lane on every route marked with {@link ServeL1Hits}; see there. */
@Injectable()
export class HitLane implements OnApplicationBootstrap {
  private readonly logger = new Logger('HitLane');
  private readonly routes: LaneRoute[] = [];
  private installed = false;
  private readonly batch = new ReplyBatch((error) =>
    this.logger.error(
      `an L1 hit could not be sent: ${error instanceof Error ? error.message : String(error)}`,
    ),
  );

  constructor(
    private readonly registry: CacheableRegistry,
    private readonly discovery: DiscoveryService,
    private readonly moduleRef: ModuleRef,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /**
   * Attaches the lane to the marked routes registered from now on (call before the router is
   * registered). Returns false when the app does not run on Fastify: the handlers answer alone.
   */
  install(): boolean {
    const adapter = this.adapterHost?.httpAdapter;
    if (this.installed || !adapter || adapter.getType() !== 'fastify') return this.installed;
    adapter.getInstance<FastifyInstance>().addHook('onRoute', (route: RouteOptions) => {
      const spec = (route.config as Record<string, unknown> | undefined)?.[HIT_LANE_ROUTE_CONFIG];
      if (spec === undefined || route.method !== 'GET') return;
      const lane: LaneRoute = { spec: spec as LaneSpec, url: route.url };
      this.routes.push(lane);
      const hook = laneHook(lane, this.batch);
      route.onRequest =
        route.onRequest === undefined
          ? [hook]
          : [...(Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]), hook];
    });
    this.installed = true;
    return true;
  }

  /** The routes the lane serves: `GET /videos/:id`. */
  get servedRoutes(): readonly string[] {
    return this.routes.filter((route) => route.method !== undefined).map((route) => `GET ${route.url}`);
  }

  /** Resolves each route's cached method and guards, or stops the start-up naming what is wrong. */
  onApplicationBootstrap(): void {
    const globalGuards: unknown[] = [];
    const globalInterceptors: unknown[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      if (wrapper.subtype === 'guard') globalGuards.push(wrapper.instance);
      if (wrapper.subtype === 'interceptor') globalInterceptors.push(wrapper.instance);
    }
    for (const lane of this.routes) {
      const { spec } = lane;
      const where = `GET ${lane.url} (${spec.controller.name}.${(spec.handler as { name: string }).name})`;
      const method = this.registry.get(spec.method);
      if (!method) throw new HitLaneError(`${where}: no @Cacheable method ${spec.method}`);
      const routeLevel = (key: string) =>
        [
          ...((Reflect.getMetadata(key, spec.controller) as unknown[] | undefined) ?? []),
          ...((Reflect.getMetadata(key, spec.handler) as unknown[] | undefined) ?? []),
        ] as unknown[];
      const interceptors = [...globalInterceptors, ...routeLevel(INTERCEPTORS_METADATA)];
      if (interceptors.length > 0)
        throw new HitLaneError(`${where}: the lane would skip the route's interceptors`);
      for (const key of [HEADERS_METADATA, HTTP_CODE_METADATA, REDIRECT_METADATA]) {
        if (Reflect.getMetadata(key, spec.handler) !== undefined)
          throw new HitLaneError(`${where}: the lane would skip the route's ${key}`);
      }
      // Route-level guards are given as classes (Nest instantiates them) or as instances.
      const guards = [...globalGuards, ...routeLevel(GUARDS_METADATA).map((guard) => this.instanceOf(guard))];
      const blind = guards.find((guard) => !isLaneGuard(guard));
      if (blind !== undefined) {
        const name = (blind as object | undefined)?.constructor?.name;
        throw new HitLaneError(`${where}: guard ${name} cannot decide for the lane (no admitHit)`);
      }
      lane.guards = guards as HitLaneGuard[];
      lane.method = method;
    }
    if (this.routes.length > 0)
      this.logger.log(`L1 hits answered before the pipeline on ${this.servedRoutes.join(', ')}`);
  }

  /** A guard as Nest runs it: the instance it made of a class given to `@UseGuards`. */
  private instanceOf(guard: unknown): unknown {
    if (typeof guard !== 'function') return guard;
    return this.moduleRef.get(guard as Type, { strict: false });
  }
}

/**
 * The `onRequest` hook of one route: answers an L1 hit (through `batch`), or calls `done` to let
 * the handler answer.
 */
function laneHook(lane: LaneRoute, batch: ReplyBatch) {
  const { spec } = lane;
  const serves = spec.serves ?? isObject;
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const { method, guards } = lane;
    if (method === undefined || guards === undefined || hasBody(request)) return done();
    let args: readonly unknown[] | undefined;
    try {
      args = spec.args(request.params as Record<string, string>);
    } catch {
      return done();
    }
    if (args === undefined) return done();
    for (let i = 0; i < guards.length; i++) {
      if (!guards[i]!.admitHit(request, reply, spec.controller, spec.handler))
        return handOff(guards, i + 1, request, done);
    }
    const entry = method.takeL1(args, serves);
    if (entry === MISS) return handOff(guards, guards.length, request, done);
    batch.add(reply, entryJson(entry));
  };
}

/**
 * The JSON of an entry's value as its handler would answer it. A frozen value's is made once and
 * kept on the entry (jsonOf shares what Nest's serializer made of the same value, so it is held
 * once). A value that is cloned on every read (it holds a map, a set, a typed array…) is
 * serialized from its clone, as the handler would serialize it: a `Buffer` and its clone, a plain
 * `Uint8Array`, do not give the same JSON.
 */
function entryJson(entry: L1Entry): string {
  if (entry.cloneOnRead) return jsonOf(readEntry(entry));
  return (entry.json ??= jsonOf(entry.value));
}

/** Leaves a request to the pipeline, telling the first `asked` guards (those that were asked). */
function handOff(guards: readonly HitLaneGuard[], asked: number, request: FastifyRequest, done: () => void) {
  for (let i = 0; i < asked; i++) guards[i]!.handOff?.(request);
  done();
}
