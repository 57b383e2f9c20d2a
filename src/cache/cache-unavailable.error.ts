import { ServiceUnavailableException } from '@nestjs/common';

/**
 * A write whose evictions could not be made safe: Redis is known to be unreachable, or refused
 * the eviction and the old value could not be removed either. Answered as 503 with `Retry-After`,
 * so the write is never acknowledged while another replica could still serve what it replaced.
 */
export class CacheUnavailableError extends ServiceUnavailableException {
  constructor(
    reason: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`The cache cannot be updated safely right now (${reason}); retry after ${retryAfterSeconds} s`);
  }
}
