export class InvalidRedisTopologyError extends Error {
  override readonly name = 'InvalidRedisTopologyError';
}

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/** Where L2 lives: one server, a Cluster, or a master found through Sentinel. */
export type RedisTopology =
  | { readonly mode: 'standalone'; readonly url: string }
  | { readonly mode: 'cluster'; readonly nodes: readonly RedisAddress[]; readonly url: string | undefined }
  | {
      readonly mode: 'sentinel';
      readonly sentinels: readonly RedisAddress[];
      readonly name: string;
      readonly url: string | undefined;
    };

/** Parses `host:port` (IPv6 hosts in brackets: `[::1]:7000`). */
export function parseAddress(text: string, variable: string): RedisAddress {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65_535) {
    throw new InvalidRedisTopologyError(`${variable} entry "${text}" must be host:port`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/** Where Redis is to be found, as configured: a URL, Cluster seed nodes, or Sentinels. */
export interface RedisTopologyOptions {
  readonly redisUrl?: string;
  readonly redisClusterNodes?: readonly string[];
  readonly redisSentinels?: readonly string[];
  readonly redisSentinelName?: string;
}

/** Resolves and validates where L2 lives; `undefined`: no Redis (memory-only). */
export function resolveTopology(options: RedisTopologyOptions): RedisTopology | undefined {
  const cluster = options.redisClusterNodes ?? [];
  const sentinels = options.redisSentinels ?? [];
  if (cluster.length > 0 && sentinels.length > 0) {
    throw new InvalidRedisTopologyError('REDIS_CLUSTER_NODES and REDIS_SENTINELS cannot both be set');
  }
  if (cluster.length > 0) {
    return {
      mode: 'cluster',
      nodes: cluster.map((node) => parseAddress(node, 'REDIS_CLUSTER_NODES')),
      url: options.redisUrl,
    };
  }
  if (sentinels.length > 0) {
    const name = options.redisSentinelName;
    if (!name || !/^[A-Za-z0-9_.-]{1,128}$/.test(name)) {
      throw new InvalidRedisTopologyError(
        'REDIS_SENTINEL_NAME must name the master group the sentinels monitor',
      );
    }
    return {
      mode: 'sentinel',
      sentinels: sentinels.map((node) => parseAddress(node, 'REDIS_SENTINELS')),
      name,
      url: options.redisUrl,
    };
  }
  if (options.redisSentinelName !== undefined) {
    throw new InvalidRedisTopologyError('REDIS_SENTINEL_NAME needs REDIS_SENTINELS');
  }
  return options.redisUrl === undefined ? undefined : { mode: 'standalone', url: options.redisUrl };
}
