import { createCache, KeyvAdapter, type Cache, type CacheManagerStore } from 'cache-manager';
import { redisInsStore } from 'cache-manager-ioredis-yet';
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import { META_SEGMENT } from './cache.constants.js';
import type { ResolvedCacheOptions } from './cache-options.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import { scanEach } from './stores/redis.store.js';

const COMPAT_L1_MAX_ENTRIES = 10_000;
const COMPAT_L1_MAX_BYTES = 32 * 1024 * 1024;

/**
 * The `CACHE_MANAGER` that `@nestjs/cache-manager` consumers inject (its `CacheInterceptor`,
 * third-party modules): `cache-manager` 7 over two Keyv stores, a bounded LRU and Redis through
 * `cache-manager-ioredis-yet` on the module's own connection, under `<prefix>:%meta:cm:`.
 *
 * The service's own caching goes through `HybridCacheService`, not this. The Redis store's sharp
 * edges are designed around here: its `reset()` would `FLUSHDB` and its `keys()` would run `KEYS`,
 * so both are replaced by SCAN-based versions confined to this prefix.
 */
export function createCompatCacheManager(
  options: ResolvedCacheOptions,
  redis: RedisConnections | null,
): Cache {
  const l1 = new Keyv({
    store: new LRUCache<string, string>({
      max: COMPAT_L1_MAX_ENTRIES,
      maxSize: COMPAT_L1_MAX_BYTES,
      sizeCalculation: (value) => 64 + String(value).length * 2,
    }),
  });
  if (!redis) return createCache({ stores: [l1] });
  const client = redis.client;
  const namespace = `${options.prefix}:${META_SEGMENT}:cm`;
  const scanKeys = async (match: string) => {
    const keys: string[] = [];
    await scanEach(client, match, async (batch) => void keys.push(...batch));
    return keys;
  };
  // The package's typings target cache-manager 5; at run time it is the store KeyvAdapter expects.
  const store: CacheManagerStore = {
    ...(redisInsStore(client) as unknown as CacheManagerStore),
    name: 'ioredis',
    keys: () => scanKeys(`${namespace}:*`),
    reset: async () => {
      // One key per UNLINK: on a Cluster the keys live in different slots.
      await scanEach(client, `${namespace}:*`, async (batch) => {
        await Promise.all(batch.map((key) => client.unlink(key)));
      });
    },
  };
  const l2 = new Keyv({ store: new KeyvAdapter(store), namespace });
  return createCache({ stores: [l1, l2] });
}
