import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { ResolvedCacheOptions } from './cache-options.js';
import { memoryOnlyMode, redisMode } from './cache.messages.js';
import type { RedisClient } from './stores/redis.store.js';

/** How long start-up waits for Redis before it serves degraded (L1 + source) and keeps reconnecting. */
const CONNECT_WAIT_MS = 3_000;
/** How long shutdown waits for Redis to acknowledge QUIT. */
const QUIT_WAIT_MS = 500;

/**
 * The Redis connections the cache module creates and owns: one for commands (the store, locks,
 * health) and one for the invalidation bus's subscription. Closed on shutdown.
 */
export class RedisConnections {
  private closed = false;

  constructor(
    readonly client: RedisClient,
    readonly subscriber: RedisClient,
  ) {}

  /** Quits gracefully, or disconnects if Redis does not answer within a moment; resolves once closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.client, this.subscriber].map((connection) => closeConnection(connection)));
  }
}

async function closeConnection(connection: RedisClient): Promise<void> {
  if (connection.status === 'end') return;
  const ended = new Promise<void>((resolve) => connection.once('end', resolve));
  const quit = connection.quit().then(
    () => true,
    () => false,
  );
  const timeout = new Promise<false>((resolve) => setTimeout(resolve, QUIT_WAIT_MS, false).unref());
  if (!(await Promise.race([quit, timeout]))) connection.disconnect();
  await ended;
}

/** Redacts the password of a Redis URL for logs. */
export const redactUrl = (url: string) => url.replace(/\/\/([^@/]*)@/, '//***@');

export async function createRedisConnections(
  options: ResolvedCacheOptions,
): Promise<RedisConnections | null> {
  const logger = new Logger('CacheModule');
  if (!options.redisUrl) {
    logger.log(memoryOnlyMode());
    return null;
  }
  const client = new Redis(options.redisUrl, {
    lazyConnect: true,
    connectionName: `vidcache:${options.instanceId}`,
    // Bounded waits: a command fails after the L2 timeout, and fails at once while disconnected,
    // instead of queueing behind a dead connection.
    commandTimeout: options.l2.timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    ...options.redisOptions,
  });
  // The subscriber may queue its SUBSCRIBE while reconnecting; ioredis resubscribes by itself.
  const subscriber = client.duplicate({
    enableOfflineQueue: true,
    commandTimeout: undefined,
    lazyConnect: true,
  });
  for (const connection of [client, subscriber]) {
    // Errors are counted by the cache and reported by health; an unhandled 'error' would crash.
    connection.on('error', () => undefined);
  }
  logger.log(redisMode(redactUrl(options.redisUrl)));
  const connected = await Promise.race([
    Promise.all([client.connect(), subscriber.connect()]).then(
      () => true,
      () => false,
    ),
    new Promise<false>((resolve) => setTimeout(resolve, CONNECT_WAIT_MS, false).unref()),
  ]);
  if (!connected)
    logger.warn('Redis is not reachable yet: serving from L1 and the source while reconnecting');
  return new RedisConnections(client, subscriber);
}
