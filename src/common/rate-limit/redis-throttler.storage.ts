import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import type { L2Status, RedisConnections } from '../../cache/index.js';
import { metaKey } from '../meta-keys.js';
import { RedisScript } from '../redis-script.js';
import { withTimeout } from '../with-timeout.js';

/** No request waits on the rate limiter's Redis call longer than this; past it, the replica counts alone. */
export const THROTTLE_REDIS_TIMEOUT_MS = 150;

/**
 * A fixed window per key: INCR the counter (starting its window with PEXPIRE when it is new); over
 * the limit, a block key (lasting the block duration) makes every request fail until it expires.
 * Returns { hits, window ms left, blocked 0/1, block ms left }. One script, so it is atomic: two
 * replicas counting the same client can never both let the limit+1-th request through.
 */
const INCREMENT = new RedisScript(`
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
local limit = tonumber(ARGV[2])
local block = tonumber(ARGV[3])
if block <= 0 then
  if hits > limit then return {hits, ttl, 1, ttl} end
  return {hits, ttl, 0, 0}
end
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return {hits, ttl, 1, blocked} end
if hits > limit then
  redis.call('SET', KEYS[2], '1', 'PX', block)
  return {hits, ttl, 1, block}
end
return {hits, ttl, 0, 0}
`);

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * `@nestjs/throttler` storage shared by every replica: counters live in Redis under
 * `<prefix>:%meta:throttle:`, over the cache module's own connection. When Redis is down (the
 * cache's circuit is open) or does not answer within {@link THROTTLE_REDIS_TIMEOUT_MS}, this
 * replica counts in memory instead: the limit then holds per replica, and no request fails or waits
 * because of Redis.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly memory = new ThrottlerStorageService();
  private degraded = false;

  constructor(
    private readonly redis: RedisConnections | null,
    private readonly prefix: string,
    private readonly l2Status: () => L2Status,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.redis && this.l2Status() !== 'down') {
      try {
        // The braces are a hash tag: the counter and its block marker share a slot, so the one
        // script that touches both also runs on a Redis Cluster.
        const counter = metaKey(this.prefix, 'throttle', throttlerName, `{${key}}`);
        const reply = await withTimeout(
          INCREMENT.run(this.redis.client, [counter, `${counter}:blocked`], [ttl, limit, blockDuration]),
          THROTTLE_REDIS_TIMEOUT_MS,
          'rate-limit counter',
        );
        const [totalHits, windowMs, blocked, blockMs] = reply as [number, number, number, number];
        this.recovered();
        return {
          totalHits,
          timeToExpire: seconds(windowMs),
          isBlocked: blocked === 1,
          timeToBlockExpire: seconds(blockMs),
        };
      } catch (error) {
        this.fallingBack((error as Error).message);
      }
    } else if (this.redis) {
      this.fallingBack('Redis is down');
    }
    return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  onApplicationShutdown(): void {
    this.memory.onApplicationShutdown();
  }

  private fallingBack(reason: string): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(`Rate limits counted per replica until Redis answers again (${reason})`);
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.logger.log('Rate limits shared through Redis again');
  }
}
