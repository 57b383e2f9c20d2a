import { Injectable, type ExecutionContext } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { MemoizedReflector } from './memoized-reflector.js';

/**
 * The global rate limit: one budget per client IP across the whole public API (the stock guard
 * keeps one per route). `/health/*` and `/metrics` opt out with `@SkipThrottle()`.
 *
 * The IP is Fastify's `request.ip`: behind a proxy or ingress, the Fastify adapter's `trustProxy`
 * must be set for it to be the client's rather than the proxy's.
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
  ) {
    // The route's throttling metadata, read once per route rather than on every request.
    super(options, storage, new MemoizedReflector());
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    _throttlerName: string,
  ): string {
    return tracker;
  }
}
