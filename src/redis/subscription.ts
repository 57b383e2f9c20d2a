import { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis-connections.js';

/** What {@link keepSubscribed} reports after the first subscription. */
export interface SubscriptionEvents {
  /** The subscription is back after an interruption: messages sent meanwhile were missed. */
  resubscribed(): void;
  /** A resubscription failed; the next reconnection tries again. */
  failed(error: Error): void;
}

/**
 * A connection for subscriptions, made from the command connection: it queues its SUBSCRIBE while
 * Redis is away, waits for it without a command timeout, and connects when first used.
 *
 * A standalone or Sentinel connection is made with `autoResubscribe: false`, and
 * {@link keepSubscribed} resubscribes it instead. ioredis's own resubscription leaves its SUBSCRIBE's
 * rejection unhandled. That rejection happens when the connection drops again before Redis answers,
 * or when shutdown closes it at that moment, and Node then ends the process. Upstream fixed this in
 * redis/ioredis#2187, after the 5.11.1 and 6.0.0 releases. A Cluster resubscribes its subscriber
 * with the failure handled, so it keeps ioredis's own.
 */
export function subscriberOf(client: RedisClient): RedisClient {
  return client instanceof Cluster
    ? client.duplicate(undefined, { enableOfflineQueue: true, lazyConnect: true })
    : client.duplicate({
        enableOfflineQueue: true,
        commandTimeout: undefined,
        lazyConnect: true,
        autoResubscribe: false,
      });
}

/**
 * Subscribes `connection` to `channels` and keeps it subscribed across reconnections. After every
 * interruption (a `close`, then `ready`), it subscribes again and reports the result through
 * `events`: `resubscribed` once Redis has answered, so whatever is published from then on arrives.
 * A connection from {@link subscriberOf} is resubscribed here. For a connection that ioredis
 * resubscribes itself, only its return is reported.
 *
 * @returns the first subscription; it rejects if that SUBSCRIBE fails.
 */
export function keepSubscribed(
  connection: RedisClient,
  channels: readonly string[],
  events: SubscriptionEvents,
): Promise<unknown> {
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
