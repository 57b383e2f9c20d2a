import { Injectable, type ExecutionContext, type Type } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HitLaneGuard } from '../cache/index.js';
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from '@nestjs/throttler/dist/throttler.constants.js';
import { LocalFirstThrottlerStorage } from './local-first-throttler.storage.js';
import { MemoizedReflector } from './memoized-reflector.js';

/**
 * What one route needs for a decision, worked out on its first request: skip it, count it with
 * fixed numbers (the fast path), or leave it to the stock guard (any option given as a function,
 * a custom tracker, several throttlers…).
 */
type RoutePlan = { readonly kind: 'skip' } | { readonly kind: 'stock' } | CountPlan;

interface CountPlan {
  readonly kind: 'count';
  readonly name: string;
  readonly limit: number;
  readonly ttl: number;
  readonly blockDuration: number;
  readonly setHeaders: boolean;
  /**
   * The `X-RateLimit-Limit`, `-Remaining`, `-Reset` and `Retry-After` header names, each with
   * `-<name>` after it for a throttler not named `default`, as the stock guard writes them (in
   * lower case, as Fastify sends them).
   */
  readonly headers: readonly [string, string, string, string];
}

type ThrottlerStorageRecord = ReturnType<LocalFirstThrottlerStorage['hit']>;

/** Answers shared by every admitted request: nothing to allocate, nothing to wait for. */
const ADMITTED = Promise.resolve(true);

/**
 * The global rate limit: one budget per client IP across the whole public API (the stock guard
 * keeps one per route). `/health/*` and `/metrics` opt out with `@SkipThrottle()`.
 *
 * The IP is Fastify's `request.ip`: behind a proxy or ingress, the Fastify adapter's `trustProxy`
 * must be set for it to be the client's rather than the proxy's.
 *
 * The stock `canActivate` awaits seven promises per request (skip check, three option values,
 * tracker, storage, the request itself) although {@link LocalFirstThrottlerStorage} decides in
 * memory. For a route whose options are plain numbers this guard reads them once and decides
 * synchronously: same storage, same headers, same 429 (built by the stock guard). Anything else
 * goes through the stock path unchanged.
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard implements HitLaneGuard {
  private readonly plans = new WeakMap<object, WeakMap<object, RoutePlan>>();
  /** What {@link admitHit} decided for requests the lane then left to the pipeline. */
  private readonly laneDecisions = new WeakMap<object, ThrottlerStorageRecord>();
  /**
   * {@link admitHit}'s last decision, read by {@link handOff} in the same synchronous turn, and
   * otherwise replaced by the next one. Kept in a `WeakMap` only on a hand-off: a `WeakMap` entry per
   * answered hit cost about 1.2 µs of each (and more work for the garbage collector) in a `perf`
   * profile.
   */
  private laneRequest?: object;
  private laneRecord?: ThrottlerStorageRecord;
  /** {@link trackerOf}'s last answer, and the IP it was for. */
  private lastIp?: unknown;
  private lastTracker?: string;
  /**
   * {@link planOf}'s last answer: the hit lane asks for one route's plan request after request. Its
   * two `WeakMap` look-ups and the lane's third (the value's JSON, since kept on the L1 entry) took
   * 0.37 µs of an L1 hit in a `perf` profile of the service, 0.06 µs after.
   */
  private lastPlan?: { readonly classRef: object; readonly handler: object; readonly plan: RoutePlan };

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
  ) {
    // The route's throttling metadata, read once per route rather than on every request.
    super(options, storage, new MemoizedReflector());
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    const plan = this.planOf(context.getClass(), context.getHandler());
    if (plan.kind === 'skip') return ADMITTED;
    if (plan.kind === 'stock') return super.canActivate(context);
    const { req, res } = this.getRequestResponse(context);
    // Counted already when the hit lane asked (and then left the request to the handler).
    const record = this.laneDecisions.get(req) ?? this.count(plan, req, res);
    if (record.isBlocked) {
      const tracker = this.trackerOf(req);
      const detail = { ...record, limit: plan.limit, ttl: plan.ttl, key: tracker, tracker };
      return this.throwThrottlingException(context, detail).then(() => false);
    }
    return ADMITTED;
  }

  /**
   * The decision for a request the hit lane is about to answer from L1 (see `HitLane`), taken as
   * `canActivate` takes it, headers included. A refusal hands the request to the pipeline, where
   * `canActivate` answers with the 429 from the same count; a route the stock guard must decide
   * (a custom tracker…) is left to it, uncounted.
   */
  admitHit(request: FastifyRequest, reply: FastifyReply, controller: Type, handler: object): boolean {
    const plan = this.planOf(controller, handler);
    if (plan.kind === 'skip') return true;
    if (plan.kind === 'stock') return false;
    const record = this.count(plan, request, reply);
    this.laneRequest = request;
    this.laneRecord = record;
    return !record.isBlocked;
  }

  /**
   * The lane leaves a request it asked about to the pipeline (refused here or by a later guard, or
   * an L1 miss): the handler's `canActivate` must find this decision rather than count again.
   */
  handOff(request: FastifyRequest): void {
    if (this.laneRequest === request) this.laneDecisions.set(request, this.laneRecord!);
    this.laneRequest = this.laneRecord = undefined;
  }

  /**
   * The client's budget key: its IP, an IPv6 one cut to its subnet. The last IP's key is kept, as
   * consecutive requests mostly come from the same client (the same connection): `normalizeIp`
   * runs `net.isIP`'s regular expressions on every call otherwise.
   */
  private trackerOf(request: { ip?: unknown }): string {
    const ip = request.ip;
    if (ip === this.lastIp) return this.lastTracker!;
    const tracker = normalizeIp(ip as string, this.ipv6SubnetPrefix);
    this.lastIp = ip;
    this.lastTracker = tracker;
    return tracker;
  }

  /** Counts a request on a route with fixed options, and writes the headers of the decision. */
  private count(
    plan: CountPlan,
    req: { ip?: unknown },
    res: Parameters<ThrottlerGuard['setResponseHeader']>[0],
  ): ThrottlerStorageRecord {
    const storage = this.storageService as LocalFirstThrottlerStorage;
    const record = storage.hit(this.trackerOf(req), plan.ttl, plan.limit, plan.blockDuration, plan.name);
    if (!plan.setHeaders) return record;
    if (record.isBlocked) {
      this.setResponseHeader(res, plan.headers[3], record.timeToBlockExpire);
    } else {
      const [limit, remaining, reset] = plan.headers;
      this.setResponseHeader(res, limit, plan.limit);
      this.setResponseHeader(res, remaining, Math.max(0, plan.limit - record.totalHits));
      this.setResponseHeader(res, reset, record.timeToExpire);
    }
    return record;
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    _throttlerName: string,
  ): string {
    return tracker;
  }

  private planOf(classRef: object, handler: object): RoutePlan {
    const last = this.lastPlan;
    if (last !== undefined && last.handler === handler && last.classRef === classRef) return last.plan;
    let byHandler = this.plans.get(classRef);
    if (!byHandler) this.plans.set(classRef, (byHandler = new WeakMap()));
    let plan = byHandler.get(handler);
    if (!plan) byHandler.set(handler, (plan = this.plan(handler, classRef)));
    this.lastPlan = { classRef, handler, plan };
    return plan;
  }

  private plan(handler: object, classRef: object): RoutePlan {
    const stock = { kind: 'stock' } as const;
    const [throttler, ...others] = this.throttlers;
    if (!throttler || others.length > 0 || !(this.storageService instanceof LocalFirstThrottlerStorage))
      return stock;
    const read = <T>(key: string) =>
      this.reflector.getAllAndOverride<T>(key + throttler.name, [handler as never, classRef as never]);
    if (read<boolean>(THROTTLER_SKIP)) return { kind: 'skip' };
    const module = Array.isArray(this.options) ? {} : (this.options as Partial<ThrottlerOptions>);
    const custom =
      throttler.skipIf ??
      module.skipIf ??
      throttler.ignoreUserAgents ??
      module.ignoreUserAgents ??
      throttler.getTracker ??
      module.getTracker ??
      throttler.generateKey ??
      module.generateKey ??
      read(THROTTLER_TRACKER) ??
      read(THROTTLER_KEY_GENERATOR);
    if (custom !== undefined) return stock;
    const limit = read<unknown>(THROTTLER_LIMIT) ?? throttler.limit;
    const ttl = read<unknown>(THROTTLER_TTL) ?? throttler.ttl;
    const blockDuration = read<unknown>(THROTTLER_BLOCK_DURATION) ?? throttler.blockDuration ?? ttl;
    if (typeof limit !== 'number' || typeof ttl !== 'number' || typeof blockDuration !== 'number')
      return stock;
    const setHeaders = throttler.setHeaders ?? module.setHeaders ?? true;
    const name = throttler.name ?? 'default';
    const suffix = name === 'default' ? '' : `-${name}`;
    // Lower case, as Fastify keeps and sends them: it lower-cases a name on every call otherwise,
    // into a new string that V8 then looks up in its string table.
    const rateLimit = (part: string) => `${this.headerPrefix}-${part}${suffix}`.toLowerCase();
    const headers = [
      rateLimit('Limit'),
      rateLimit('Remaining'),
      rateLimit('Reset'),
      `retry-after${suffix}`,
    ] as const;
    return { kind: 'count', name, limit, ttl, blockDuration, setHeaders, headers };
  }
}
