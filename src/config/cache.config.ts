import { registerAs } from '@nestjs/config';
import { IsInt, IsObject, IsOptional, IsPositive, Matches, Max, Min, ValidateBy } from 'class-validator';
import { APP_CACHE_NAMESPACES } from '../app.cache-namespaces.js';
import type { CacheModuleOptions, CachePolicyOptions } from '../cache/index.js';
import { EnvJson, validateEnv } from './validate-env.js';

class CacheEnv {
  @IsOptional()
  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /** Redis Cluster seed nodes, comma-separated `host:port`: selects Cluster mode. */
  @IsOptional()
  @Matches(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, {
    message: 'must be comma-separated host:port',
  })
  REDIS_CLUSTER_NODES?: string;

  /** Redis Sentinel addresses, comma-separated `host:port`: selects Sentinel mode (with REDIS_SENTINEL_NAME). */
  @IsOptional()
  @Matches(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, {
    message: 'must be comma-separated host:port',
  })
  REDIS_SENTINELS?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,128}$/, { message: 'must be the master group name the sentinels monitor' })
  REDIS_SENTINEL_NAME?: string;

  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'must be 1-64 letters, digits, "_", "." or "-"' })
  CACHE_PREFIX: string = 'vidcache';

  /** L1 byte budget. Default 256 MiB. */
  @IsInt()
  @IsPositive()
  CACHE_L1_MAX_BYTES: number = 256 * 1024 * 1024;

  @IsInt()
  @IsPositive()
  CACHE_L1_MAX_ENTRIES: number = 100_000;

  /** No request waits on Redis longer than this. */
  @IsInt()
  @Min(1)
  @Max(60_000)
  CACHE_L2_TIMEOUT_MS: number = 150;

  @IsInt()
  @Min(1)
  CACHE_L2_FAILURE_THRESHOLD: number = 5;

  @IsInt()
  @Min(1)
  CACHE_L2_COOLDOWN_MS: number = 5_000;

  /**
   * The staleness bound B: once a write has answered, no replica serves an older value of what it
   * changed more than B ms later. Bus heartbeats go out every B/6; a replica that heard none for
   * 2B/3 serves no L1 until it hears again.
   */
  @IsInt()
  @Min(60)
  @Max(60_000)
  CACHE_STALENESS_BOUND_MS: number = 300;

  /**
   * Per-namespace policy overrides as JSON, e.g. `{"video":{"l2TtlMs":7200000},"search":{"jitter":0.2}}`.
   * Fields: l1TtlMs, l2TtlMs, l1Share, compressAboveBytes, jitter, graceMs, nullTtlMs, earlyRefresh,
   * lockWaitMs, and eviction (`"tinylfu"`, the default, or `"lru"`).
   */
  @IsOptional()
  @EnvJson()
  @IsObject({ message: 'must be a JSON object of namespace → policy fields' })
  @ValidateBy(
    { name: 'knownNamespaces', validator: { validate: (value) => unknownNamespaces(value).length === 0 } },
    {
      // A misspelt namespace would otherwise create a policy nothing uses, and change nothing.
      message: ({ value }) =>
        `unknown cache namespace ${unknownNamespaces(value)
          .map((name) => JSON.stringify(name))
          .join(', ')}; known: ${Object.keys(APP_CACHE_NAMESPACES).join(', ')}`,
    },
  )
  CACHE_POLICIES?: Record<string, CachePolicyOptions>;
}

export type CacheConfig = CacheModuleOptions;

/** The keys of a CACHE_POLICIES object that name no namespace of the service. */
const unknownNamespaces = (value: unknown): string[] =>
  typeof value === 'object' && value !== null
    ? Object.keys(value).filter((name) => !Object.hasOwn(APP_CACHE_NAMESPACES, name))
    : [];

const splitList = (value: string | undefined) =>
  value === undefined ? undefined : value.split(',').map((item) => item.trim());

/** The `cache` configuration namespace: `CacheModule` options from the environment. */
export const cacheConfig = registerAs('cache', (): CacheConfig => {
  const env = validateEnv(CacheEnv);
  return {
    prefix: env.CACHE_PREFIX,
    redisUrl: env.REDIS_URL,
    redisClusterNodes: splitList(env.REDIS_CLUSTER_NODES),
    redisSentinels: splitList(env.REDIS_SENTINELS),
    redisSentinelName: env.REDIS_SENTINEL_NAME,
    namespaces: APP_CACHE_NAMESPACES,
    policies: env.CACHE_POLICIES,
    l1: { maxBytes: env.CACHE_L1_MAX_BYTES, maxEntries: env.CACHE_L1_MAX_ENTRIES },
    l2: {
      timeoutMs: env.CACHE_L2_TIMEOUT_MS,
      failureThreshold: env.CACHE_L2_FAILURE_THRESHOLD,
      cooldownMs: env.CACHE_L2_COOLDOWN_MS,
    },
    coherence: { stalenessBoundMs: env.CACHE_STALENESS_BOUND_MS },
  };
});
