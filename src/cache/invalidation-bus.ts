import { Logger } from '@nestjs/common';
import type { RedisClient } from '../redis/redis-connections.js';
import { keepSubscribed, messageEventOf, publishOn, subscribeAgain } from '../redis/subscription.js';
import type { SpanContext } from '@opentelemetry/api';
import { busDeaf, busGap, busRenewing, busResubscribeFailed, busResubscribed } from './cache.messages.js';
import { BucketHistogram, EVICTION_DELAY_BUCKETS } from './cache-stats.js';
import { cacheTracing } from './cache-tracing.js';
import { coarseClock } from './coarse-clock.js';
import { evictionSet, evictionSetSize, type EvictionSet } from './eviction-set.js';

interface BusMessage extends EvictionSet {
  /** Format version. */
  readonly v: 1;
  /** The sender's instance id: a replica ignores its own messages. */
  readonly s: string;
  /**
   * The sender's message number (heartbeats included), 1, 2, 3…: a listener that sees a number
   * skipped has lost a message without its connection closing, and drops its L1.
   */
  readonly n?: number;
  /**
   * When the sender published it (its wall clock, ms since the epoch): a listener measures how long
   * the eviction took to reach it. Evictions only; absent from heartbeats and older senders.
   */
  readonly t?: number;
  /** The W3C `traceparent` of the sender's publish span, while it traces: the eviction joins that trace. */
  readonly tp?: string;
}

/** A W3C traceparent: version, trace id, parent span id, flags (lower-case hex). */
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

const MAX_ITEMS_PER_MESSAGE = 1_000;
/** Senders remembered for the sequence check; past this the record starts over. */
const MAX_SENDERS = 1_000;

/**
 * On a Cluster, a channel silent this long has its SSUBSCRIBE sent again (subscribeAgain), then
 * again after twice the wait, up to RENEW_MAX_MS. Long enough that a failover ioredis notices (a
 * node's connection ends, or a node answers MOVED) is left to ioredis, which moves the subscription
 * itself. ioredis 5.11.1 reads the topology again only then: it has no periodic refresh unless
 * `slotsRefreshInterval` is set, so a subscription lost without either is never remade by it.
 */
export const RENEW_AFTER_MS = 6_000;
const RENEW_MAX_MS = 30_000;

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Parses a message from the channel; anything malformed is `undefined` (and never evaluated). */
export function parseBusMessage(raw: string): BusMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as Record<string, unknown>;
  const patternsOk =
    Array.isArray(m.patterns) &&
    m.patterns.every(
      (p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string',
    );
  if (m.v !== 1 || typeof m.s !== 'string' || !isStringArray(m.keys) || !patternsOk) return undefined;
  if (!isStringArray(m.tags) || !isStringArray(m.namespaces)) return undefined;
  if (m.n !== undefined && !(Number.isSafeInteger(m.n) && (m.n as number) > 0)) return undefined;
  if (m.t !== undefined && !(Number.isFinite(m.t) && (m.t as number) > 0)) return undefined;
  if (m.tp !== undefined && !(typeof m.tp === 'string' && TRACEPARENT.test(m.tp))) return undefined;
  return m as unknown as BusMessage;
}

/** How often a replica says it is alive, and how long a silence makes a listener deaf. */
export interface BusTiming {
  readonly heartbeatMs: number;
  readonly deafAfterMs: number;
}

/**
 * Tells the other replicas what this one evicted, over Redis pub/sub, so they drop it from their
 * L1. Evictions made in the same tick go out as one message (split past a size bound); a message
 * carries keys, never values, and the sender's id.
 *
 * Pub/sub does not redeliver, and a subscription can go silent without closing (Redis paused, a
 * stalled network). So every replica publishes a heartbeat (an empty message) every `heartbeatMs`
 * and listens for everyone's, its own included: a replica that heard nothing for `deafAfterMs` is
 * deaf, {@link hears} turns false and L1 is not served until it hears again. When its subscription
 * is re-established, it may have missed evictions, so it is told to drop its L1 (`onResubscribed`).
 * On a Cluster the channel is sharded (see `subscription.ts`), and ioredis remakes the subscription
 * itself: the bus then sends a heartbeat of its own, and drops L1 when that heartbeat comes back
 * through the new subscription.
 */
export class InvalidationBus {
  private readonly logger = new Logger(InvalidationBus.name);
  private batch:
    | {
        keys: string[];
        patterns: [string, string][];
        tags: string[];
        namespaces: string[];
        /** The writes that asked for these evictions, while tracing. */
        causes: SpanContext[];
      }
    | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private heartbeat: NodeJS.Timeout | undefined;
  /** When the channel was last heard (any message, ours included); 0: never. */
  private heardAt = 0;
  /** The number of the last message this replica sent. */
  private sent = 0;
  /** The highest number seen from each sender. */
  private readonly lastSeen = new Map<string, number>();
  /**
   * After ioredis remade a Cluster subscription: the number of the heartbeat sent then. When this
   * replica hears its own message with that number or a later one, the new subscription works.
   */
  private probe: number | undefined;
  private warnedAt = 0;
  /** When this replica started listening (Date.now()): the start of a silence if nothing was ever heard. */
  private startedAt = 0;
  /** Sending SSUBSCRIBE again while the channel is silent (Cluster only): when next, and the wait after. */
  private readonly renewal = { at: 0, waitMs: RENEW_AFTER_MS, pending: false };
  /** Real time, read cheaply: deafness is about messages arriving, not the cache's (replaceable) clock. */
  private readonly clock = coarseClock();
  /** Counters for stats. */
  readonly counters = {
    published: 0,
    received: 0,
    malformed: 0,
    resubscriptions: 0,
    /** Resubscriptions that failed (the connection dropped again, or Redis refused). */
    resubscribeFailures: 0,
    /** SSUBSCRIBEs sent again on a Cluster because the channel was silent (renewIfSilent). */
    renewals: 0,
    heartbeatErrors: 0,
    /** Messages found missing by their numbers (each drops L1). */
    gaps: 0,
    deafPeriods: 0,
    deafMs: 0,
  };
  /** Delay from another replica's publication of an eviction to its application here (sender's clock). */
  readonly evictionDelays = new BucketHistogram(EVICTION_DELAY_BUCKETS);

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    readonly channel: string,
    private readonly instanceId: string,
    private readonly handlers: {
      onEvictions: (set: EvictionSet) => void;
      onResubscribed: () => void;
    },
    private readonly timing: BusTiming,
  ) {}

  /**
   * Whether this replica can currently hear evictions: the channel was heard within `deafAfterMs`.
   * On every L1 hit, so it is one clock reading (cached for a millisecond) and a comparison.
   */
  hears(): boolean {
    return this.clock() - this.heardAt <= this.timing.deafAfterMs;
  }

  /**
   * Starts listening and sending heartbeats, and subscribes to the channel. Resolves `true` once
   * Redis has answered the subscription, or `false` after `waitMs` if it has not: a Cluster that is
   * down queues the subscription until it is back, and the replica then starts deaf (on L2 and the
   * source, no L1) rather than not start at all. A subscription answered after that counts as a
   * resubscription and drops L1, since evictions sent meanwhile were not heard. Rejects if the
   * subscription failed within `waitMs`.
   */
  async start(waitMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.subscriber.on(messageEventOf(this.subscriber), (channel: string, raw: string) =>
      this.receive(channel, raw),
    );
    this.startedAt = Date.now();
    this.heartbeat = setInterval(() => {
      this.renewIfSilent();
      this.beat();
    }, this.timing.heartbeatMs).unref();
    const subscribed = keepSubscribed(this.subscriber, [this.channel], {
      // Once Redis has answered the SUBSCRIBE, every later eviction arrives; those sent before
      // may have been missed, so L1 goes.
      resubscribed: () => this.resubscribed(),
      // A Cluster's subscription, remade by ioredis without waiting for Redis's answer: L1 goes
      // once this replica's next message arrives through it (receive), as that proves it works.
      rerouted: () => {
        if (this.closed) return;
        this.probe = this.sent + 1;
        this.beat();
      },
      // Not listening: once the channel has been silent for deafAfterMs, L1 is not served
      // (hears()); the next reconnection tries again.
      failed: (error) => this.resubscribeFailed(error),
    });
    let waiting = true;
    // Settled after start stopped waiting: this replica may have cached values meanwhile.
    subscribed.then(
      () => waiting || this.resubscribed(),
      (error: Error) => waiting || this.resubscribeFailed(error),
    );
    let timer: NodeJS.Timeout | undefined;
    let answered: boolean;
    try {
      answered = await Promise.race([
        subscribed.then(() => true),
        new Promise<false>((resolve) => {
          if (Number.isFinite(waitMs)) timer = setTimeout(resolve, waitMs, false).unref();
        }),
      ]);
    } finally {
      waiting = false;
      clearTimeout(timer);
    }
    this.beat();
    return answered;
  }

  private resubscribeFailed(error: Error): void {
    if (this.closed) return;
    this.counters.resubscribeFailures++;
    this.logger.warn(busResubscribeFailed(error.message));
  }

  private resubscribed(): void {
    if (this.closed) return;
    this.counters.resubscriptions++;
    this.logger.warn(busResubscribed());
    this.handlers.onResubscribed();
  }

  /**
   * On a Cluster, a subscription lost while its connection stayed open is not remade by ioredis (see
   * subscribeAgain): once the channel has been silent for RENEW_AFTER_MS, its SSUBSCRIBE is sent
   * again, and again after twice the wait while the silence lasts. An answer is a resubscription:
   * L1 is dropped, since evictions sent during the silence were missed.
   */
  private renewIfSilent(): void {
    const { renewal } = this;
    const now = Date.now();
    const silentMs = now - (this.heardAt || this.startedAt);
    if (renewal.pending || silentMs < RENEW_AFTER_MS || now < renewal.at || this.closed) return;
    const sent = subscribeAgain(this.subscriber, [this.channel]);
    if (sent === undefined) return;
    renewal.pending = true;
    renewal.at = now + renewal.waitMs;
    renewal.waitMs = Math.min(renewal.waitMs * 2, RENEW_MAX_MS);
    this.counters.renewals++;
    this.logger.warn(busRenewing(silentMs));
    sent
      .then(
        () => this.resubscribed(),
        (error: Error) => this.resubscribeFailed(error),
      )
      .finally(() => (renewal.pending = false));
  }

  private beat(): void {
    this.send({ v: 1, s: this.instanceId, ...evictionSet() }).catch(() => this.counters.heartbeatErrors++);
  }

  /** Publishes one message with the next number: numbers follow the order of the connection's commands. */
  private send(message: BusMessage): Promise<number> {
    return publishOn(this.publisher, this.channel, JSON.stringify({ ...message, n: ++this.sent }));
  }

  /** Queues evictions for the next message; resolves once that message is published. */
  publish(set: EvictionSet): Promise<void> {
    if (evictionSetSize(set) === 0) return Promise.resolve();
    this.batch ??= { keys: [], patterns: [], tags: [], namespaces: [], causes: [] };
    const cause = cacheTracing.on ? cacheTracing.cause() : undefined;
    if (cause) this.batch.causes.push(cause);
    this.batch.keys.push(...set.keys);
    this.batch.patterns.push(...set.patterns.map(([n, g]) => [n, g] as [string, string]));
    this.batch.tags.push(...set.tags);
    this.batch.namespaces.push(...set.namespaces);
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
    return this.flushing;
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = undefined;
    this.flushing = undefined;
    if (!batch) return;
    const { causes, ...evictions } = batch;
    for (const message of this.split(evictions)) {
      if (cacheTracing.on) await cacheTracing.publish(causes, (tp) => this.send({ ...message, tp }));
      else await this.send(message);
      this.counters.published++;
    }
  }

  private *split(batch: Omit<NonNullable<InvalidationBus['batch']>, 'causes'>): Generator<BusMessage> {
    const { keys, ...rest } = batch;
    const t = Date.now();
    let first = true;
    for (let i = 0; i < keys.length || first; i += MAX_ITEMS_PER_MESSAGE) {
      const chunk = keys.slice(i, i + MAX_ITEMS_PER_MESSAGE);
      yield first
        ? { v: 1, s: this.instanceId, t, keys: chunk, ...rest }
        : { v: 1, s: this.instanceId, t, ...evictionSet({ keys: chunk }) };
      first = false;
    }
  }

  private receive(channel: string, raw: string): void {
    if (channel !== this.channel) return;
    const message = parseBusMessage(raw);
    if (!message) {
      this.counters.malformed++;
      return;
    }
    this.heard();
    this.checkSequence(message);
    if (message.s === this.instanceId) {
      if (this.probe !== undefined && message.n !== undefined && message.n >= this.probe) {
        this.probe = undefined;
        this.resubscribed();
      }
      return;
    }
    if (evictionSetSize(message) === 0) return;
    this.counters.received++;
    if (cacheTracing.on) cacheTracing.receive(message.tp, () => this.handlers.onEvictions(message));
    else this.handlers.onEvictions(message);
    // Wall clocks of two machines: a sender running ahead reads as no delay rather than a negative one.
    if (message.t !== undefined) this.evictionDelays.observe(Math.max(0, Date.now() - message.t) / 1000);
  }

  /**
   * A sender's numbers must follow each other. A number skipped means a message was lost while the
   * connection stayed open (a network or proxy that dropped bytes): evictions may have been missed.
   * On a Cluster too: a sharded channel carries every message through the master of its shard.
   */
  private checkSequence(message: BusMessage): void {
    if (message.n === undefined) return;
    const last = this.lastSeen.get(message.s);
    if (this.lastSeen.size >= MAX_SENDERS && last === undefined) this.lastSeen.clear();
    this.lastSeen.set(message.s, Math.max(message.n, last ?? 0));
    if (last !== undefined && message.n > last + 1) {
      this.counters.gaps++;
      this.logger.warn(busGap(message.s, message.n - last - 1));
      this.handlers.onResubscribed();
    }
  }

  /**
   * The channel was heard. A silence alone loses nothing (pub/sub runs over one connection, so what
   * was published meanwhile arrives in order, before this message); what a silence did lose shows
   * as a gap in the numbers, or as a closed connection. It is counted and logged.
   */
  private heard(): void {
    const now = Date.now();
    const silentMs = now - this.heardAt;
    if (this.heardAt !== 0 && silentMs > this.timing.deafAfterMs) {
      this.counters.deafPeriods++;
      this.counters.deafMs += silentMs;
      // Said at most once a minute (a busy event loop can make many short silences); all are counted.
      if (now - this.warnedAt >= 60_000) {
        this.warnedAt = now;
        this.logger.warn(busDeaf(silentMs, this.counters.deafPeriods));
      }
    }
    this.heardAt = now;
    if (this.renewal.at !== 0) {
      this.renewal.at = 0;
      this.renewal.waitMs = RENEW_AFTER_MS;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.flushing?.catch(() => undefined);
  }
}
