import { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis-connections.js';
// A Cluster's sharded subscribers need a fix of ioredis's (see the module).
import './sharded-subscriber.patch.js';

/** What {@link keepSubscribed} reports after the first subscription. */
export interface SubscriptionEvents {
  /** The subscription is back after an interruption: messages sent meanwhile were missed. */
  resubscribed(): void;
  /**
   * On a Cluster: ioredis has moved or remade the subscription on its own (its node's connection
   * ended, or the shard's master changed) and sent SSUBSCRIBE without waiting for the answer.
   * Messages sent meanwhile were missed; that the new subscription works shows only when a message
   * arrives through it.
   */
  rerouted(): void;
  /** A resubscription failed; the next reconnection tries again. */
  failed(error: Error): void;
}

/*
 * Pub/sub on a Cluster is sharded (Redis 7.0: SSUBSCRIBE, SPUBLISH, `smessage`). A sharded channel
 * lives on the shard that owns its slot: every message goes through that shard's master, so the
 * messages of one sender reach a listener in the order they were sent (the bus checks their numbers
 * for losses), and ioredis (`shardedSubscribers`) keeps one subscriber on that master and moves it
 * when the master fails over, telling it with `subscribersReady`. Classic pub/sub on a Cluster
 * would broadcast each message from whichever node received it, in no set order, and ioredis moves
 * its single subscription to another node without any event when that node's connection ends.
 */

/** Publishes `message` on `channel`: sharded on a Cluster. */
export function publishOn(connection: RedisClient, channel: string, message: string): Promise<number> {
  return connection instanceof Cluster
    ? (connection.spublish(channel, message) as Promise<number>)
    : connection.publish(channel, message);
}

/** The event a subscriber connection emits for each message: `(channel, message)`. */
export const messageEventOf = (connection: RedisClient): 'message' | 'smessage' =>
  connection instanceof Cluster ? 'smessage' : 'message';

/**
 * A connection for subscriptions, made from the command connection: it queues its SUBSCRIBE while
 * Redis is away, waits for it without a command timeout, and connects when first used.
 *
 * A standalone or Sentinel connection is made with `autoResubscribe: false`, and
 * {@link keepSubscribed} resubscribes it instead. ioredis's own resubscription leaves its SUBSCRIBE's
 * rejection unhandled. That rejection happens when the connection drops again before Redis answers,
 * or when shutdown closes it at that moment, and Node then ends the process. Upstream fixed this in
 * redis/ioredis#2187, after the 5.11.1 and 6.0.0 releases. A Cluster's sharded subscribers are
 * resubscribed by ioredis, with the failure handled.
 */
export function subscriberOf(client: RedisClient): RedisClient {
  return client instanceof Cluster
    ? client.duplicate(undefined, { enableOfflineQueue: true, lazyConnect: true, shardedSubscribers: true })
    : client.duplicate({
        enableOfflineQueue: true,
        commandTimeout: undefined,
        lazyConnect: true,
        autoResubscribe: false,
      });
}

/**
 * Subscribes `connection` to `channels` and keeps it subscribed across reconnections, reporting
 * every interruption through `events`:
 * - a standalone or Sentinel connection from {@link subscriberOf} is subscribed again after every
 *   `close` and `ready`, and `resubscribed` is reported once Redis has answered, so whatever is
 *   published from then on arrives (for one that ioredis resubscribes itself, only its return);
 * - a Cluster's sharded subscription is remade by ioredis; each time, `rerouted` is reported. A
 *   first SSUBSCRIBE that Redis or ioredis rejected is sent again until one is answered, and that
 *   is reported as `resubscribed`.
 *
 * @returns the first subscription; it rejects if that SUBSCRIBE fails.
 */
export function keepSubscribed(
  connection: RedisClient,
  channels: readonly string[],
  events: SubscriptionEvents,
): Promise<unknown> {
  if (connection instanceof Cluster) {
    let first = true;
    connection.on('subscribersReady', () => {
      if (!first) events.rerouted();
    });
    const subscribed = connection.ssubscribe(...channels);
    subscribed.then(
      () => void (first = false),
      () => {
        first = false;
        retryLater(connection, channels, events, FIRST_RETRY_MS);
      },
    );
    return subscribed;
  }
  const resubscribesHere = connection instanceof Redis && connection.options.autoResubscribe === false;
  let interrupted = false;
  connection.on('close', () => {
    interrupted = true;
  });
  connection.on('ready', () => {
    if (!interrupted) return;
    interrupted = false;
    if (!resubscribesHere) return events.resubscribed();
    connection.subscribe(...channels).then(
      () => events.resubscribed(),
      (error: Error) => events.failed(error),
    );
  });
  return connection.subscribe(...channels);
}

/**
 * On a Cluster, sends SSUBSCRIBE for `channels` again, on the connection ioredis holds for their
 * shard; elsewhere returns undefined. A sharded subscription can be lost while its connection stays
 * open, and ioredis does not notice: a master that hands its slots to another node (a failover)
 * pushes SUNSUBSCRIBE to their subscribers, and if it takes them back before ioredis next reads the
 * topology, ioredis keeps the old connection as subscribed. It also drops, without a word, an
 * SSUBSCRIBE that failed when it remade a subscription. Redis answers an SSUBSCRIBE of a channel
 * the connection already has as a new one, and nothing changes.
 */
export function subscribeAgain(
  connection: RedisClient,
  channels: readonly string[],
): Promise<unknown> | undefined {
  return connection instanceof Cluster ? connection.ssubscribe(...channels) : undefined;
}

/** The first wait before a rejected SSUBSCRIBE is sent again; doubled after each failure. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

/**
 * On a Cluster, ioredis remakes only the subscriptions its subscriber group holds, and an SSUBSCRIBE
 * that was rejected (rather than queued while the cluster was away) may never have got there: it
 * is sent again, after `delayMs` and then less and less often, until one is answered (reported as
 * a resubscription) or the connection is closed for good.
 */
function retryLater(
  connection: Cluster,
  channels: readonly string[],
  events: SubscriptionEvents,
  delayMs: number,
): void {
  setTimeout(() => {
    if (connection.status === 'end') return;
    connection.ssubscribe(...channels).then(
      () => events.resubscribed(),
      (error: Error) => {
        events.failed(error);
        retryLater(connection, channels, events, Math.min(delayMs * 2, MAX_RETRY_MS));
      },
    );
  }, delayMs).unref();
}
