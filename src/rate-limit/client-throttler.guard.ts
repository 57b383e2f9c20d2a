import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/**
 * The global rate limit: one budget per client IP across the whole public API (the stock guard
 * keeps one per route). `/health/*` and `/metrics` opt out with `@SkipThrottle()`.
 *
 * The IP is Fastify's `request.ip`: behind a proxy or ingress, the Fastify adapter's `trustProxy`
 * must be set for it to be the client's rather than the proxy's.
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    _throttlerName: string,
  ): string {
    return tracker;
  }
}
