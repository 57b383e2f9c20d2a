import { Logger } from '@nestjs/common';
import { Cluster, Redis, type Command, type RedisOptions } from 'ioredis';
import { memoryOnlyMode, redisMode } from './redis.messages.js';
import type { RedisAddress, RedisTopology } from './redis-topology.js';
import { delay } from '../common/with-timeout.js';
import { boundCommands } from './command-timeout.js';
import { subscriberOf } from './subscription.js';

/** A connection to a single server (standalone or through Sentinel) or to a Cluster. */
export type RedisClient = Redis | Cluster;

/** What the connections are made from (the cache's resolved options carry all of it). */
export interface RedisConnectionSettings {
  /** Where Redis is; `undefined`: no Redis, no connections. */
  readonly redis: RedisTopology | undefined;
  /** Extra ioredis options merged over the ones set here. */
  readonly redisOptions: RedisOptions;
  /** Names the connections (`CLIENT LIST`) after this replica. */
  readonly instanceId: string;
  /** No command waits longer than this. */
  readonly l2: { readonly timeoutMs: number };
}

/** How long start-up waits for Redis before it serves degraded (L1 + source) and keeps reconnecting. */
const CONNECT_WAIT_MS = 3_000;
/** How long shutdown waits for Redis to acknowledge QUIT. */
const QUIT_WAIT_MS = 500;

/**
 * The Redis connections the cache module creates and owns, closed on shutdown:
 * - `client`, for commands: L2 reads and the loads' stores, locks, the bus's publications, health;
 * - `writer`, for the writes that wait for Redis's replicas (evictions, and the stores of
 *   `@CachePut`): `WAIT` holds its connection until the replicas answer or its timeout ends, and
 *   every command sent after it on that connection waits too. On `client`, one replica that
 *   stalled made every read of its master's keys, and the bus's heartbeats, time out while an
 *   eviction waited (redis-cluster.replication.integration.spec.ts);
 * - `subscriber`, for the invalidation bus's subscription.
 */
export class RedisConnections {
  private closed = false;

  constructor(
    readonly client: RedisClient,
    readonly subscriber: RedisClient,
    readonly writer: RedisClient,
  ) {}

  /** Quits gracefully, or disconnects if Redis does not answer within a moment; resolves once closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [this.client, this.subscriber, this.writer].map((connection) => closeConnection(connection)),
    );
  }
}

async function closeConnection(connection: RedisClient): Promise<void> {
  if (connection.status === 'end') return;
  const ended = new Promise<true>((resolve) => connection.once('end', () => resolve(true)));
  const quit = connection.quit().then(
    () => true,
    () => false,
  );
  const waited = () => delay(QUIT_WAIT_MS).then(() => false);
  if (!(await Promise.race([quit, waited()]))) connection.disconnect();
  // Between two reconnection attempts, disconnect() may never emit 'end': shutdown must not wait
  // on it forever (a pod would hang until killed), so the wait is bounded too.
  await Promise.race([ended, waited()]);
}

/** Redacts the password of a Redis URL for logs. */
export const redactUrl = (url: string) => url.replace(/\/\/([^@/]*)@/, '//***@');

/** Credentials and TLS from a `redis://` / `rediss://` URL, for Cluster and Sentinel modes. */
function authFromUrl(url: string | undefined): RedisOptions {
  if (!url) return {};
  const parsed = new URL(url);
  return {
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

const describeTopology = (topology: RedisTopology) => {
  const list = (addresses: readonly RedisAddress[]) => addresses.map((a) => `${a.host}:${a.port}`).join(',');
  switch (topology.mode) {
    case 'standalone':
      return redactUrl(topology.url);
    case 'cluster':
      return `cluster ${list(topology.nodes)}`;
    case 'sentinel':
      return `sentinel master "${topology.name}" via ${list(topology.sentinels)}`;
  }
};

/** A command connection for a topology, with bounded waits everywhere; `role` suffixes its name. */
function createClient(options: RedisConnectionSettings, topology: RedisTopology, role = ''): RedisClient {
  const client = connectionFor(options, topology, role);
  // On a Cluster, a command sent to one node directly (SCAN on every master) does not pass through
  // the Cluster's own sendCommand: each node's connection is bounded too, as ioredis makes it. (A
  // command sent through the Cluster is armed there already, and not twice.)
  if (client instanceof Cluster) {
    client.on('+node', (node: Redis) => boundCommands(node, options.l2.timeoutMs));
    refreshOnMoved(client);
  }
  return boundCommands(client, options.l2.timeoutMs);
}

/**
 * Refreshes a Cluster's slot table whenever a command comes back with MOVED. ioredis follows a
 * MOVED itself for a command sent alone, but not in an auto-pipelined batch whose commands got
 * different MOVED answers (one per slot of a moved shard) or where a write succeeded: it hands the
 * errors to the callers and refreshes nothing, so every later batch goes to the old master and
 * fails too (redis/ioredis#2075, open), for as long as the service runs. Here the commands that met
 * MOVED fail (the cache counts them, and refuses or replays as for any Redis error), and the next
 * ones go to the new master. (Without auto-pipelining each MOVED is followed, but at 64 GETs in
 * flight a Cluster client answered 0.60× as many; bench/README.md.)
 */
function refreshOnMoved(cluster: Cluster): void {
  const send = cluster.sendCommand.bind(cluster) as (command: Command, ...rest: unknown[]) => unknown;
  const refresh = (error: unknown) => {
    if (error instanceof Error && error.message.startsWith('MOVED ')) cluster.refreshSlotsCache();
  };
  (cluster as { sendCommand: unknown }).sendCommand = (command: Command, ...rest: unknown[]) => {
    command.promise.catch(refresh);
    return send(command, ...rest);
  };
}

function connectionFor(options: RedisConnectionSettings, topology: RedisTopology, role: string): RedisClient {
  // A command fails after the L2 timeout (boundCommands, in createClient), and fails at once while
  // disconnected instead of queueing behind a dead connection.
  const common: RedisOptions = {
    connectionName: `vidcache:${options.instanceId}${role}`,
    maxRetriesPerRequest: 1,
    // A command that timed out has been answered as a failure: sending it again after a reconnect
    // could write an old value over a newer one.
    autoResendUnfulfilledCommands: false,
    connectTimeout: 2_000,
    // Commands issued in the same tick (concurrent requests) go out in one write: fewer syscalls
    // under load, which is most of an L2 hit's cost.
    enableAutoPipelining: true,
  };
  const retry = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000);
  switch (topology.mode) {
    case 'standalone':
      return new Redis(topology.url, {
        ...common,
        lazyConnect: true,
        enableOfflineQueue: false,
        retryStrategy: retry,
        ...options.redisOptions,
      });
    case 'sentinel':
      return new Redis({
        ...common,
        ...authFromUrl(topology.url),
        sentinels: topology.sentinels.map((a) => ({ host: a.host, port: a.port })),
        name: topology.name,
        lazyConnect: true,
        enableOfflineQueue: false,
        retryStrategy: retry,
        sentinelRetryStrategy: retry,
        ...options.redisOptions,
      });
    case 'cluster':
      return new Cluster(
        topology.nodes.map((a) => ({ host: a.host, port: a.port })),
        {
          lazyConnect: true,
          enableOfflineQueue: false,
          clusterRetryStrategy: retry,
          // A command whose node is gone (its connection closed, or the cluster down) fails at once
          // instead of being sent again and again until the redirections run out (16 tries, each
          // waiting 100 ms and a connection attempt): the circuit and the replay handle outages,
          // and a command answered as failed must not be sent again later.
          retryDelayOnFailover: 0,
          retryDelayOnClusterDown: 0,
          // Commands issued in one tick go out as one pipeline per node (see refreshOnMoved for
          // what that needs when a shard moves).
          enableAutoPipelining: true,
          redisOptions: { ...common, ...authFromUrl(topology.url), ...options.redisOptions },
        },
      );
  }
}

export async function createRedisConnections(
  options: RedisConnectionSettings,
): Promise<RedisConnections | null> {
  const logger = new Logger('CacheModule');
  const topology = options.redis;
  if (!topology) {
    logger.log(memoryOnlyMode());
    return null;
  }
  const client = createClient(options, topology);
  const writer = createClient(options, topology, ':writer');
  // The subscriber queues its SUBSCRIBE while reconnecting; the bus keeps it subscribed (keepSubscribed).
  const subscriber = subscriberOf(client);
  const all = [client, subscriber, writer];
  for (const connection of all) {
    // Errors are counted by the cache and reported by health; an unhandled 'error' would crash.
    connection.on('error', () => undefined);
  }
  logger.log(redisMode(describeTopology(topology)));
  // Also ready once all emit 'ready': when a Cluster's ready check fails (its CLUSTER INFO, the
  // first command to a node, can outlast the L2 timeout while the machine is loaded), ioredis
  // connects again and leaves connect()'s promise pending for good, so start-up waited the full
  // CONNECT_WAIT_MS and reported Redis unreachable although the retry was ready within a second.
  const ready = (connection: RedisClient) =>
    new Promise<true>((resolve) => connection.once('ready', () => resolve(true)));
  const connected = await Promise.race([
    Promise.all(all.map(ready)).then(() => true),
    Promise.all(all.map((connection) => connection.connect())).then(
      () => true,
      () => false,
    ),
    new Promise<false>((resolve) => setTimeout(resolve, CONNECT_WAIT_MS, false).unref()),
  ]);
  if (!connected)
    logger.warn('Redis is not reachable yet: serving from L1 and the source while reconnecting');
  return new RedisConnections(client, subscriber, writer);
}
