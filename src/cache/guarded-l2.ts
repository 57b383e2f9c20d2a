import { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { L2Counters } from './cache-stats.js';
import type { ResolvedCacheOptions } from './cache-options.js';
import { CacheUnavailableError } from './cache-unavailable.error.js';
import {
  circuitClosed,
  circuitOpened,
  connectionLost,
  connectionReplaced,
  evictionRefused,
  evictionUnreplicated,
} from './cache.messages.js';
import { CircuitBreaker, type CircuitState } from '../common/circuit-breaker.js';
import { evictionSet, evictionSetSize, PendingEvictions, type EvictionSet } from './eviction-set.js';
import { attempt } from './flights.js';
import type { InvalidationBus } from './invalidation-bus.js';
import type { NamespaceRegistry } from './namespaces.js';
import type { RedisClient, RedisConnections } from '../redis/redis-connections.js';
import { NotReplicatedError, type L2Read } from './stores/redis.store.js';
import type { L2Tier, L2Write } from './tiers.js';

export type L2Status = 'up' | 'down' | 'disabled';

/** The status of L2, or `disabled` when none is configured (memory-only). */
export const l2StatusOf = (l2: GuardedL2 | undefined): L2Status => l2?.status ?? 'disabled';

/**
 * What an eviction writes in Redis: its keys' tombstones, or (a namespace, pattern or tag eviction)
 * deletions on every master and epochs.
 */
const writtenBy = (set: EvictionSet): readonly string[] | 'all' =>
  set.namespaces.length > 0 || set.patterns.length > 0 || set.tags.length > 0 ? 'all' : set.keys;

/**
 * How long a write waits for Redis's replicas to acknowledge its eviction (`WAIT`) before it is
 * refused. Far above a healthy acknowledgement (one round trip to the replica, well under a
 * millisecond on a local network), so only a replica that is stuck, or far behind, refuses writes.
 */
const REPLICATION_WAIT_MS = 500;

const isTimeout = (error: unknown) => error instanceof Error && /timed? ?out/i.test(error.message);

/**
 * L2 as the stack uses it: Redis behind a timeout (the client's command timeout), a circuit
 * breaker, and a queue of evictions that could not reach it. Redis trouble never fails a read:
 * every failure reads as "nothing in L2". It may fail a write, and says so (see {@link evict}).
 *
 * Recovery order matters: the evictions Redis missed are replayed before the circuit closes, so no
 * replica of ours reads back a value that was evicted while Redis could not be told.
 */
export class GuardedL2 {
  private readonly logger = new Logger('HybridCache');
  readonly breaker: CircuitBreaker;
  readonly counters = new L2Counters();
  readonly pending: PendingEvictions;
  private recovering: Promise<void> | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private consecutiveTimeouts = 0;
  /** The size of the backlog being replayed (taken out of {@link pending} meanwhile). */
  private replaying = 0;
  private shuttingDown = false;
  /** The connections L2 depends on: the command connection and the writer (one if they are the same). */
  private readonly connections: RedisClient[];
  /** Why L2 was last taken out of service, for stats and readiness. */
  lastFailure: string | undefined;

  constructor(
    readonly tier: L2Tier,
    redis: Pick<RedisConnections, 'client' | 'writer'>,
    private readonly bus: InvalidationBus,
    namespaces: NamespaceRegistry,
    private readonly options: ResolvedCacheOptions,
  ) {
    this.connections = [...new Set([redis.client, redis.writer])];
    this.breaker = new CircuitBreaker({
      failureThreshold: options.l2.failureThreshold,
      cooldownMs: options.l2.cooldownMs,
      now: options.now,
    });
    this.pending = new PendingEvictions(
      options.maxPendingEvictions,
      (key) => namespaces.ofKey(key)?.name,
      () => namespaces.names(),
    );
  }

  /**
   * Watches the connections (the command one and the writer, see RedisConnections): L2 is out of
   * service while either is lost. Retries pending evictions on a schedule, not only on reconnect.
   */
  start(): void {
    for (const connection of this.connections) {
      connection.on('close', () => {
        if (!this.shuttingDown && this.breaker.allowsCalls && this.breaker.open())
          this.logger.warn(connectionLost(this.options.l2.cooldownMs));
      });
      connection.on('ready', () => this.scheduleRecovery(true));
    }
    this.recoveryTimer = setInterval(() => this.scheduleRecovery(false), this.options.l2.cooldownMs).unref();
    if (this.connections.some((connection) => connection.status !== 'ready')) this.breaker.open();
  }

  stop(): void {
    this.shuttingDown = true;
    clearInterval(this.recoveryTimer);
  }

  /** Evictions Redis has yet to take: those waiting for the replay, and those it is replaying. */
  get pendingEvictions(): number {
    return this.pending.size + this.replaying;
  }

  get status(): L2Status {
    return this.breaker.allowsCalls ? 'up' : 'down';
  }

  get circuit(): CircuitState {
    return this.breaker.state;
  }

  /** Whether calls may go to Redis now; when not, a probe is scheduled once the cool-down is over. */
  available(): boolean {
    if (this.breaker.allowsCalls) return true;
    this.scheduleRecovery(false);
    return false;
  }

  /**
   * One Redis operation, timed and counted, its outcome fed to the circuit breaker. A plain promise
   * chain rather than an `async` function: it sits on every L2 read, where each layer costs.
   */
  call<T>(op: () => Promise<T>, kind: 'read' | 'write'): Promise<T> {
    const started = performance.now();
    return attempt(op).then(
      (result) => {
        this.counters.observeLatency(performance.now() - started);
        if (kind === 'read') this.counters.reads++;
        else this.counters.writes++;
        this.consecutiveTimeouts = 0;
        this.breaker.recordSuccess();
        return result;
      },
      (error: unknown) => {
        this.recordFailure(error);
        throw error;
      },
    );
  }

  /** One GET; `undefined` when L2 is unavailable or fails (a miss, never an error). */
  read(key: string): Promise<L2Read | undefined> {
    if (!this.available()) return Promise.resolve(undefined);
    return this.call(() => this.tier.read(key), 'read').then(undefined, () => undefined);
  }

  /**
   * Applies an eviction to Redis and tells the other replicas. Resolves once the old values can no
   * longer be read from Redis by anyone; throws {@link CacheUnavailableError} when that cannot be
   * promised, so the write that caused it is not acknowledged as if it were safe.
   *
   * 1. The eviction is applied (tombstones, epochs, tag sets), then published. It is tried even
   *    while the circuit is open (reads skip Redis then, writes do not give up without asking): a
   *    write is rare next to reads, every call is bounded by the L2 timeout, and a connection
   *    that is down fails at once.
   * 2. Redis refused it or did not answer (the eviction or its publication): the old values are
   *    removed with plain `UNLINK`s, which Redis accepts even when full; the eviction is kept for
   *    the replay (its tombstones and epochs still matter), the circuit opens, and the other
   *    replicas are told. The write stands only if both worked. Otherwise it is refused with a 503:
   *    an old value could still be read from Redis, or from another replica's L1 until the replay
   *    reaches it, which may be later than the staleness bound.
   * 3. Every step that reached Redis is done only once Redis's replicas have it (`WAIT`, see
   *    `RedisStore.replicated`): a failover could otherwise promote a replica that never saw the
   *    eviction, and the old values would be read again. When they do not take it in time, it is
   *    handled as in 2, and the `UNLINK`s must reach the replicas too, or the write is refused.
   */
  async evict(set: EvictionSet): Promise<void> {
    const retryAfter = Math.ceil(this.options.l2.cooldownMs / 1000);
    try {
      await this.apply(set);
      await this.bus.publish(set);
      return;
    } catch (error) {
      this.counters.evictionFailures++;
      this.pending.add(set);
      this.takeOutOfService(
        error instanceof NotReplicatedError
          ? evictionUnreplicated(error.message)
          : evictionRefused((error as Error).message),
      );
    }
    const removed = await this.call(() => this.tier.removeOldValues(set), 'write').then(
      () => true,
      () => false,
    );
    // What was removed must reach Redis's replicas too: a failover now would bring it back.
    const replicated = removed
      ? await this.call(() => this.tier.replicated(writtenBy(set), REPLICATION_WAIT_MS), 'write').then(
          () => undefined,
          (error: Error) => error.message,
        )
      : undefined;
    const told = await this.bus.publish(set).then(
      () => true,
      () => false,
    );
    if (!removed) throw new CacheUnavailableError('Redis cannot be told of the change', retryAfter);
    if (!told) throw new CacheUnavailableError('the other replicas cannot be told of the change', retryAfter);
    if (replicated !== undefined)
      throw new CacheUnavailableError(`Redis's replicas did not take the change: ${replicated}`, retryAfter);
  }

  /**
   * Writes a value (after a write to the source) and waits for Redis's replicas to have it, then
   * tells the other replicas to drop theirs. Throws if any step fails (the caller then evicts).
   */
  async store(write: L2Write): Promise<void> {
    await this.call(() => this.tier.store(write), 'write');
    const written = write.tags && write.tags.length > 0 ? 'all' : [write.key];
    await this.call(() => this.tier.replicated(written, REPLICATION_WAIT_MS), 'write');
    await this.bus.publish(evictionSet({ keys: [write.key] }));
  }

  /** Tombstones, epochs and tag sets of an eviction, each step bounded and counted. */
  private async apply(set: EvictionSet): Promise<void> {
    const l2 = this.tier;
    if (set.namespaces.length > 0)
      await this.call(() => Promise.all(set.namespaces.map((n) => l2.evictNamespace(n))), 'write');
    for (const [namespace, glob] of set.patterns)
      await this.call(() => l2.evictMatching(namespace, glob), 'write');
    if (set.tags.length > 0) await this.call(() => l2.evictTags(set.tags), 'write');
    if (set.keys.length > 0) await this.call(() => l2.evictKeys(set.keys), 'write');
    // Not done until the replicas have it: a failover must not bring the old values back.
    await this.call(() => l2.replicated(writtenBy(set), REPLICATION_WAIT_MS), 'write');
  }

  private recordFailure(error: unknown): void {
    this.counters.errors++;
    this.counters.lastError = (error as Error).message;
    if (isTimeout(error)) {
      this.counters.timeouts++;
      this.consecutiveTimeouts++;
      if (this.consecutiveTimeouts >= this.options.l2.failureThreshold) this.replaceConnection();
    }
    if (this.breaker.recordFailure()) {
      this.lastFailure = `${this.options.l2.failureThreshold} consecutive failures: ${this.counters.lastError}`;
      this.logger.warn(circuitOpened(this.options.l2.failureThreshold, this.options.l2.cooldownMs));
    }
  }

  /**
   * A connection whose commands keep timing out may have lost replies (its reply queue is then off
   * by the lost commands for good): it is dropped and a new one made, rather than trusted again.
   * The timeouts are counted per call, not per connection, so both are remade.
   */
  private replaceConnection(): void {
    this.consecutiveTimeouts = 0;
    this.counters.connectionsReplaced++;
    this.logger.warn(connectionReplaced(this.options.l2.failureThreshold));
    for (const connection of this.connections) connection.disconnect(true);
  }

  private takeOutOfService(reason: string): void {
    this.lastFailure = reason;
    if (this.breaker.open()) this.logger.warn(reason);
  }

  /**
   * Probes Redis once the circuit has cooled down (or at once when the connection is back),
   * replays the evictions it missed, and only then closes the circuit.
   */
  private scheduleRecovery(force: boolean): void {
    if (this.recovering || this.shuttingDown) return;
    if (this.breaker.allowsCalls && this.pending.size === 0) return;
    if (force) this.breaker.open();
    if (!force && !this.breaker.allowsCalls && !this.breaker.tryStartProbe()) return;
    this.recovering = this.recover().finally(() => (this.recovering = undefined));
  }

  private async recover(): Promise<void> {
    let replayed = 0;
    try {
      await Promise.all(this.connections.map((connection) => connection.ping()));
      // Evictions keep arriving (and queueing) while the backlog replays: drain until none is left,
      // then close in the same tick, so none can slip in between.
      while (this.pending.size > 0) {
        const backlog = this.pending.take();
        this.replaying = evictionSetSize(backlog);
        try {
          await this.apply(backlog);
          await this.bus.publish(backlog);
          replayed += evictionSetSize(backlog);
        } catch (error) {
          this.pending.add(backlog);
          throw error;
        } finally {
          this.replaying = 0;
        }
      }
      // A connection lost meanwhile ('close' does not reopen a circuit that is not closed yet).
      const lost = this.connections.find((connection) => connection.status !== 'ready');
      if (lost) throw new Error(`a Redis connection is ${lost.status}`);
      this.breaker.close();
      this.lastFailure = undefined;
      this.logger.log(circuitClosed(replayed));
    } catch (error) {
      this.lastFailure ??= (error as Error).message;
      this.breaker.open();
    }
  }
}
