import { Injectable, type ExecutionContext } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
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
type RoutePlan =
  | { readonly kind: 'skip' }
  | { readonly kind: 'stock' }
  | {
      readonly kind: 'count';
      readonly name: string;
      readonly limit: number;
      readonly ttl: number;
      readonly blockDuration: number;
      readonly setHeaders: boolean;
      /**
       * The `X-RateLimit-Limit`, `-Remaining`, `-Reset` and `Retry-After` header names, each with
       * `-<name>` after it for a throttler not named `default`, as the stock guard writes them.
       */
      readonly headers: readonly [string, string, string, string];
    };

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
export class ClientThrottlerGuard extends ThrottlerGuard {
  private readonly plans = new WeakMap<object, WeakMap<object, RoutePlan>>();

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
  ) {
    // The route's throttling metadata, read once per route rather than on every request.
    super(options, storage, new MemoizedReflector());
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    const plan = this.planOf(context);
    if (plan.kind === 'skip') return ADMITTED;
    if (plan.kind === 'stock') return super.canActivate(context);
    const { req, res } = this.getRequestResponse(context);
    const tracker = normalizeIp(req.ip as string, this.ipv6SubnetPrefix);
    const storage = this.storageService as LocalFirstThrottlerStorage;
    const record = storage.hit(tracker, plan.ttl, plan.limit, plan.blockDuration, plan.name);
    if (record.isBlocked) {
      if (plan.setHeaders) this.setResponseHeader(res, plan.headers[3], record.timeToBlockExpire);
      const detail = { ...record, limit: plan.limit, ttl: plan.ttl, key: tracker, tracker };
      return this.throwThrottlingException(context, detail).then(() => false);
    }
    if (plan.setHeaders) {
      const [limit, remaining, reset] = plan.headers;
      this.setResponseHeader(res, limit, plan.limit);
      this.setResponseHeader(res, remaining, Math.max(0, plan.limit - record.totalHits));
      this.setResponseHeader(res, reset, record.timeToExpire);
    }
    return ADMITTED;
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    _throttlerName: string,
  ): string {
    return tracker;
  }

  private planOf(context: ExecutionContext): RoutePlan {
    const handler = context.getHandler();
    const classRef = context.getClass();
    let byHandler = this.plans.get(classRef);
    if (!byHandler) this.plans.set(classRef, (byHandler = new WeakMap()));
    let plan = byHandler.get(handler);
    if (!plan) byHandler.set(handler, (plan = this.plan(handler, classRef)));
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
    const rateLimit = (part: string) => `${this.headerPrefix}-${part}${suffix}`;
    const headers = [
      rateLimit('Limit'),
      rateLimit('Remaining'),
      rateLimit('Reset'),
      `Retry-After${suffix}`,
    ] as const;
    return { kind: 'count', name, limit, ttl, blockDuration, setHeaders, headers };
  }
}
