import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { L2Status, RedisConnections } from '../cache/index.js';
import { metaKey } from '../redis/meta-keys.js';
import { RedisScript } from '../redis/redis-script.js';
import { withTimeout } from '../common/with-timeout.js';
import {
  DEFAULT_RATE_LIMIT_SYNC_MS,
  MAX_RATE_LIMIT_COUNTERS,
  RATE_LIMIT_HASH_TAG,
  RATE_LIMIT_SYNC_TIMEOUT_MS,
  PRESENCE_REFRESH_MS,
  REPLICA_PRESENCE_MS,
} from './rate-limit.constants.js';
import { countingAlone, countingTogether } from './rate-limit.messages.js';

/**
 * One sync of a replica: adds, per counter, the hits admitted since the last sync. A counter's
 * window starts with its first hit anywhere (PEXPIRE when new), so every replica adopts the same
 * window end. Now and then (ARGV[1] not empty) it also marks the replica present, in a sorted set
 * scored by Redis's own clock so that replicas' clocks do not matter, and counts those present.
 * Returns { present replicas or -1, then total and window ms left per counter }.
 */
const SYNC = new RedisScript(`
local reply = {-1}
if ARGV[1] ~= '' then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local presence = tonumber(ARGV[2])
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - presence)
  redis.call('PEXPIRE', KEYS[1], presence)
  reply[1] = redis.call('ZCARD', KEYS[1])
end
for i = 2, #KEYS do
  local total = redis.call('INCRBY', KEYS[i], ARGV[2 * i - 1])
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
    ttl = tonumber(ARGV[2 * i])
  end
  reply[#reply + 1] = total
  reply[#reply + 1] = ttl
end
return reply
`);

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** One client's count in one window, as this replica knows it. */
interface Counter {
  readonly redisKey: string;
  readonly windowMs: number;
  windowEndsAt: number;
  /** Every replica's admitted hits, as Redis answered at the last sync (this replica's included). */
  synced: number;
  /** Hits sent by the sync that has not answered yet. */
  inFlight: number;
  /** Hits admitted since, not sent yet. */
  pending: number;
  /** Hits this replica admitted in this window: the count its share is checked against while Redis is down. */
  own: number;
  blockedUntil: number;
  /** Bumped when the window restarts, so that a late sync reply about the old window is ignored. */
  generation: number;
}

export interface LocalFirstThrottlerStorageOptions {
  /** The cache module's connections; null in memory-only mode (each replica then counts alone). */
  readonly redis: RedisConnections | null;
  readonly prefix: string;
  /** This replica's id, as the cache bus knows it. */
  readonly instanceId: string;
  /** The cache's view of Redis: while its circuit is open, no sync is attempted. */
  readonly l2Status: () => L2Status;
  readonly syncIntervalMs?: number;
  /** Milliseconds since the epoch; tests pass a fake. */
  readonly clock?: () => number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * `@nestjs/throttler` storage that decides every request in memory and shares counts through Redis
 * in the background, so a request never waits on Redis (an L1 cache hit makes no network call).
 *
 * Each replica admits a request while `synced + in flight + pending < limit`, where `synced` is the
 * shared total Redis returned at this replica's last sync. Admitted hits are sent in one script
 * call every `syncIntervalMs` (default 50 ms) while there are any, and earlier for a client close to
 * its limit (once its unsent hits reach a fair part of what is left), so replicas converge where it
 * matters. What one replica cannot see are the other replicas' unsent hits: the overshoot is at most
 * what the other replicas admit for that client during one sync interval plus a round trip, and
 * shrinks near the limit. Rejected requests are not counted, so a blocked client costs Redis nothing.
 *
 * While Redis is down (the connection is not up, the cache's circuit is open, or a sync fails or
 * times out), each replica also caps what it admits itself to `floor(limit / replicas present)`:
 * the replicas that announced themselves within {@link REPLICA_PRESENCE_MS}, as this replica last
 * saw them (1 when it never reached Redis). Hits admitted meanwhile are sent when Redis is back.
 */
export class LocalFirstThrottlerStorage
  implements ThrottlerStorage, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('RateLimit');
  private readonly counters = new Map<string, Counter>();
  /** Counters with unsent hits: a sync visits these, never the whole map. */
  private readonly unsent = new Set<Counter>();
  /**
   * The last counter id {@link hit} made, and what it was made of: consecutive requests mostly come
   * from one client, whose tracker string the guard keeps, so the id is not concatenated (and
   * hashed for the `Map` look-up) again on every request.
   */
  private lastId?: { readonly key: string; readonly throttlerName: string; readonly id: string };
  private prunedAt = 0;
  private announcedAt = Number.NEGATIVE_INFINITY;
  private readonly replicasKey: string;
  private readonly syncIntervalMs: number;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** The sync under way, if any: shutdown waits for it (it is bounded) before sending what is left. */
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  private replicas = 1;
  private degraded = false;
  private closed = false;

  constructor(private readonly options: LocalFirstThrottlerStorageOptions) {
    this.replicasKey = this.key('replicas');
    this.syncIntervalMs = options.syncIntervalMs ?? DEFAULT_RATE_LIMIT_SYNC_MS;
    this.clock = options.clock ?? Date.now;
  }

  /** Start-up does not wait for Redis: the replica announces itself in the background. */
  onApplicationBootstrap(): void {
    void this.announce();
  }

  /**
   * Marks this replica present (with any unsent hits), so the others' shares account for it
   * before it has traffic. Resolves once Redis answered or the attempt failed.
   */
  announce(): Promise<void> {
    return this.sync();
  }

  /** Sends what is left (best effort, bounded) and stops the timer. */
  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.closed = true;
    await this.syncing;
    const up = this.options.l2Status() !== 'down' && this.options.redis?.client.status === 'ready';
    if (this.hasPending() && up) await this.send();
  }

  /** Replicas present when this one last announced itself (this one included). */
  /** Whether every admitted hit has been sent and answered (no sync under way or waiting). */
  get settled(): boolean {
    return this.syncing === undefined && this.unsent.size === 0;
  }

  get knownReplicas(): number {
    return this.replicas;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      return Promise.resolve(this.hit(key, ttl, limit, blockDuration, throttlerName));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * {@link increment} without the promise: the decision is made in memory, so
   * {@link ClientThrottlerGuard} takes it synchronously and a request waits on nothing.
   */
  hit(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ThrottlerStorageRecord {
    const now = this.clock();
    const counter = this.counter(this.counterId(key, throttlerName), ttl, now);
    const estimate = counter.synced + counter.inFlight + counter.pending;

    if (now < counter.blockedUntil) return this.blocked(counter, estimate, counter.blockedUntil - now);
    if (estimate >= limit) {
      counter.blockedUntil = now + blockDuration;
      return this.blocked(counter, estimate, blockDuration);
    }
    // Over its share while counting alone, a replica refuses without blocking: once Redis answers
    // again (perhaps after one lost reply), the shared count decides.
    if (this.isAlone() && counter.own >= this.share(limit)) {
      return this.blocked(counter, estimate, counter.windowEndsAt - now);
    }

    counter.own++;
    if (!this.options.redis) {
      // Memory-only mode: nothing to share, this replica's count is the whole count.
      counter.synced++;
      return this.admitted(counter, estimate, now);
    }
    counter.pending++;
    this.unsent.add(counter);
    // Far from the limit, the timer's batches are enough; close to it, unsent hits are what the
    // other replicas cannot see, so they are sent as soon as they are a fair part of what is left.
    const left = limit - estimate - 1;
    // While counting alone, only the timer retries Redis: a request never triggers a call that fails.
    const eager = !this.isAlone() && counter.pending >= Math.max(1, Math.ceil(left / (2 * this.replicas)));
    if (eager) void this.sync();
    else this.schedule();
    return this.admitted(counter, estimate, now);
  }

  private counterId(key: string, throttlerName: string): string {
    const last = this.lastId;
    if (last !== undefined && last.key === key && last.throttlerName === throttlerName) return last.id;
    const id = `${throttlerName}:${key}`;
    this.lastId = { key, throttlerName, id };
    return id;
  }

  private admitted(counter: Counter, estimate: number, now: number): ThrottlerStorageRecord {
    return {
      totalHits: estimate + 1,
      timeToExpire: seconds(counter.windowEndsAt - now),
      isBlocked: false,
      timeToBlockExpire: 0,
    };
  }

  private blocked(counter: Counter, estimate: number, retryAfterMs: number): ThrottlerStorageRecord {
    return {
      totalHits: estimate + 1,
      timeToExpire: seconds(counter.windowEndsAt - this.clock()),
      isBlocked: true,
      timeToBlockExpire: seconds(retryAfterMs),
    };
  }

  /** The client's counter in the current window, started (or restarted) when needed. */
  private counter(id: string, windowMs: number, now: number): Counter {
    const existing = this.counters.get(id);
    if (existing && now < existing.windowEndsAt) return existing;
    if (existing) {
      // A new window; a block may outlast the window that caused it, so it is kept.
      existing.windowEndsAt = now + windowMs;
      existing.synced = existing.inFlight = existing.pending = existing.own = 0;
      existing.generation++;
      this.unsent.delete(existing);
      return existing;
    }
    // Finished counters are dropped now and then, and at once when the map is full.
    if (this.counters.size >= MAX_RATE_LIMIT_COUNTERS || now - this.prunedAt > windowMs) this.prune(now);
    const created: Counter = {
      redisKey: this.key(id),
      windowMs,
      windowEndsAt: now + windowMs,
      synced: 0,
      inFlight: 0,
      pending: 0,
      own: 0,
      blockedUntil: 0,
      generation: 0,
    };
    this.counters.set(id, created);
    return created;
  }

  /** Drops finished counters, then (under a flood of distinct clients) the oldest ones. */
  private prune(now: number): void {
    this.prunedAt = now;
    for (const [id, counter] of this.counters) {
      const idle = counter.pending === 0 && counter.inFlight === 0;
      if (idle && now >= counter.windowEndsAt && now >= counter.blockedUntil) this.counters.delete(id);
    }
    for (const id of this.counters.keys()) {
      if (this.counters.size < MAX_RATE_LIMIT_COUNTERS) break;
      this.counters.delete(id);
    }
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, this.syncIntervalMs);
    this.timer.unref();
  }

  /** Counting alone: no Redis, a failed sync, or a connection that is not up (read at no cost). */
  private isAlone(): boolean {
    const { redis } = this.options;
    return !redis || this.degraded || redis.client.status !== 'ready';
  }

  private share(limit: number): number {
    return Math.max(1, Math.floor(limit / this.replicas));
  }

  /**
   * Sends every counter's unsent hits in one script call and adopts the totals it answers. Steps:
   * 1. one sync at a time (a request made meanwhile runs right after);
   * 2. skip while the connection is not up or the cache's circuit is open (the replica counts alone);
   * 3. move pending hits to in flight, run the script within the bound;
   * 4. on success adopt totals, window ends and the replica count; on failure keep the hits as
   *    sent (at most once) and count alone until a sync succeeds.
   */
  private async sync(): Promise<void> {
    if (!this.options.redis || this.closed) return;
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    // Hits are only sent on a connection that is up: a call that fails after being sent is not
    // retried (see send), so what waits for Redis to come back must not be sent into the void.
    const status = this.options.redis.client.status;
    if (this.options.l2Status() === 'down' || status !== 'ready') {
      this.countAlone(status === 'ready' ? 'Redis is down' : `Redis connection ${status}`);
      if (this.hasPending()) this.schedule();
      return;
    }
    this.syncing = this.send();
    await this.syncing;
    this.syncing = undefined;

    if (this.syncAgain) {
      this.syncAgain = false;
      void this.sync();
    } else if (this.hasPending()) {
      this.schedule();
    }
  }

  /** Steps 3 and 4 of {@link sync}. */
  private async send(): Promise<void> {
    const { redis, instanceId } = this.options;
    const announce = this.clock() - this.announcedAt >= PRESENCE_REFRESH_MS;
    if (!redis || (this.unsent.size === 0 && !announce)) return;

    const batch: { counter: Counter; generation: number; sent: number }[] = [];
    for (const counter of this.unsent) {
      batch.push({ counter, generation: counter.generation, sent: counter.pending });
      counter.inFlight += counter.pending;
      counter.pending = 0;
    }
    this.unsent.clear();
    const keys = [this.replicasKey, ...batch.map(({ counter }) => counter.redisKey)];
    const args: (string | number)[] = [announce ? instanceId : '', REPLICA_PRESENCE_MS];
    for (const { counter, sent } of batch) args.push(sent, counter.windowMs);

    try {
      const reply = (await withTimeout(
        SYNC.run(redis.client, keys, args),
        RATE_LIMIT_SYNC_TIMEOUT_MS,
        'rate-limit sync',
      )) as number[];
      const answeredAt = this.clock();
      if (announce) {
        this.announcedAt = answeredAt;
        this.replicas = Math.max(1, reply[0] ?? 1);
      }
      batch.forEach(({ counter, generation, sent }, i) => {
        if (counter.generation !== generation) return;
        counter.inFlight -= sent;
        // Redis's total is adopted even when lower than this replica expected (Redis restarted
        // empty): every replica then counts from the same number.
        counter.synced = reply[1 + 2 * i] ?? counter.synced + sent;
        counter.windowEndsAt = answeredAt + (reply[2 + 2 * i] ?? counter.windowMs);
      });
      this.countTogether();
    } catch (error) {
      // The script may have run even though its reply was lost (a timeout under load): sending the
      // hits again could count them twice and refuse clients under their limit. They are counted
      // at most once instead; this replica keeps them in its own view.
      for (const { counter, generation, sent } of batch) {
        if (counter.generation !== generation) continue;
        counter.inFlight -= sent;
        counter.synced += sent;
      }
      this.countAlone((error as Error).message);
    }
  }

  private hasPending(): boolean {
    return this.unsent.size > 0;
  }

  private countAlone(reason: string): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(countingAlone(reason, this.replicas));
  }

  private countTogether(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.logger.log(countingTogether());
  }

  /** `<prefix>:%meta:throttle:{rate-limit}:<parts>`: one hash slot, so one script syncs every counter. */
  private key(...parts: string[]): string {
    return metaKey(this.options.prefix, 'throttle', RATE_LIMIT_HASH_TAG, ...parts);
  }
}
