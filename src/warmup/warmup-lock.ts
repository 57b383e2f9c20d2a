import type { RedisConnections } from '../cache/index.js';
import { delay } from '../common/with-timeout.js';
import { metaKey } from '../redis/meta-keys.js';
import { RedisScript } from '../redis/redis-script.js';
import { RELEASE_IF_OWNER } from '../redis/redis.scripts.js';
import { WARMUP_DONE_SEGMENTS, WARMUP_LOCK_SEGMENTS } from './warmup.constants.js';

type RedisClient = RedisConnections['client'];

const MARK_ATTEMPTS = 3;
const MARK_RETRY_MS = 100;

// Only the owner (the holder of the token) may extend or release the lock; checking and acting
// in one script makes that atomic, so an owner whose lock expired cannot touch its successor's.
const EXTEND = new RedisScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`,
);

/**
 * The lock that lets one replica warm L2 per cycle: `SET <prefix>:%meta:{warmup}:lock <token> NX PX <ttl>`.
 * The token is the cycle id. It expires if its owner dies; a living owner extends it. When the
 * owner finishes it writes its cycle id to `<prefix>:%meta:{warmup}:done`, which followers wait for.
 */
export class WarmupLock {
  readonly lockKey: string;
  readonly doneKey: string;

  constructor(
    private readonly client: RedisClient,
    prefix: string,
    private readonly ttlMs: number,
  ) {
    this.lockKey = metaKey(prefix, ...WARMUP_LOCK_SEGMENTS);
    this.doneKey = metaKey(prefix, ...WARMUP_DONE_SEGMENTS);
  }

  async acquire(token: string): Promise<boolean> {
    return (await this.client.set(this.lockKey, token, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  async extend(token: string): Promise<boolean> {
    return (await EXTEND.run(this.client, [this.lockKey], [token, this.ttlMs])) === 1;
  }

  async release(token: string): Promise<boolean> {
    return (await RELEASE_IF_OWNER.run(this.client, [this.lockKey], [token])) === 1;
  }

  /**
   * Marks the cycle done, for the followers waiting on it. Tried a few times: each command is
   * bounded by the cache's short L2 timeout, and a lost mark makes a follower warm everything again.
   */
  async markDone(token: string, ttlMs: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.set(this.doneKey, token, 'PX', ttlMs);
        return;
      } catch (error) {
        if (attempt >= MARK_ATTEMPTS) throw error;
        await delay(MARK_RETRY_MS * attempt);
      }
    }
  }

  /** The current holder's token and the last finished cycle id (each null when absent). */
  async state(): Promise<{ holder: string | null; done: string | null }> {
    const [holder = null, done = null] = await this.client.mget(this.lockKey, this.doneKey);
    return { holder, done };
  }
}
