import type { Cluster, Redis } from 'ioredis';
import {
  encodeKeyPart,
  fullKey,
  namespacePrefix,
  patternGlob,
  type CacheKey,
  type KeyPattern,
} from '../cache-keys.js';
import { decodeEntry, encodeEntry, isTombstone, TOMBSTONE_MARK, CacheDecodeError } from '../cache-codec.js';
import type { ResolvedCacheOptions } from '../cache-options.js';
import type { ResolvedPolicy } from '../cache-policy.js';
import { META_SEGMENT, TAG_SEGMENT } from '../cache.constants.js';
import { unknownNamespace } from '../cache.messages.js';
import type { CacheStore, SetOptions } from './cache-store.js';

export type RedisClient = Redis | Cluster;

/**
 * What a reader saw in L2 before it went to the source. A load may store its result only if L2
 * still looks the same when it finishes; see {@link RedisStore.storeIfUnchanged}.
 */
export interface L2Observation {
  /** `''` the key was absent, `'V'` it held a (stale) value, otherwise the tombstone found there. */
  readonly state: string;
  readonly namespaceEpoch: string;
  readonly tagEpoch: string;
}

export type L2Read =
  { readonly kind: 'value'; readonly bytes: Buffer } | { readonly kind: 'absent'; readonly state: string };

// Stores only if nothing was evicted since the reader looked: the key still holds what the reader
// saw (no tombstone appeared or changed) and neither the namespace's nor the tags' epoch moved.
// This closes the cache-aside race across replicas: a load that began before a write cannot
// store its older value after that write's eviction.
const STORE_IF_UNCHANGED = `
local current = redis.call('GET', KEYS[1])
local state = ''
if current then
  if string.sub(current, 1, 1) == '${TOMBSTONE_MARK}' then state = current else state = 'V' end
end
if state ~= ARGV[1] then return 0 end
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then return 0 end
if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
for i = 4, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[i], ARGV[6]) end
end
return 1
`;

const SET_WITH_TAGS = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
end
return 1
`;

const SCAN_BATCH = 500;

/**
 * L2: entries in Redis under `<prefix>:<namespace>:<key>`, in the binary format of `cache-codec.ts`,
 * over an ioredis client it does not own. Finds keys with `SCAN` and removes them with `UNLINK` in
 * batches (never `KEYS`, never `FLUSHDB`), and keeps tag indexes as Redis sets.
 */
export class RedisStore implements CacheStore {
  private tombstoneSeq = 0;

  constructor(
    private readonly client: RedisClient,
    private readonly options: ResolvedCacheOptions,
  ) {}

  // ---- the tier API the hybrid cache uses ----

  async read(key: string): Promise<L2Read> {
    const bytes = await this.client.getBuffer(key);
    if (bytes === null) return { kind: 'absent', state: '' };
    if (isTombstone(bytes)) return { kind: 'absent', state: bytes.toString('latin1') };
    return { kind: 'value', bytes };
  }

  /** The epochs a later {@link storeIfUnchanged} compares against. */
  async observe(namespace: string, state: string): Promise<L2Observation> {
    const [namespaceEpoch, tagEpoch] = await this.client.mget(
      this.namespaceEpochKey(namespace),
      this.tagEpochKey(),
    );
    return { state, namespaceEpoch: namespaceEpoch ?? '0', tagEpoch: tagEpoch ?? '0' };
  }

  /** Stores unless an eviction happened since `observed`; resolves whether it stored. */
  async storeIfUnchanged(
    namespace: string,
    key: string,
    bytes: Buffer,
    ttlMs: number,
    tags: readonly string[] | undefined,
    observed: L2Observation,
  ): Promise<boolean> {
    const tagKeys = (tags ?? []).map((tag) => this.tagKey(tag));
    const stored = await this.client.eval(
      STORE_IF_UNCHANGED,
      3 + tagKeys.length,
      key,
      this.namespaceEpochKey(namespace),
      this.tagEpochKey(),
      ...tagKeys,
      observed.state,
      observed.namespaceEpoch,
      observed.tagEpoch,
      bytes,
      Math.max(1, Math.ceil(ttlMs)),
      Math.ceil(ttlMs),
    );
    return stored === 1;
  }

  async store(key: string, bytes: Buffer, ttlMs: number, tags?: readonly string[]): Promise<void> {
    const px = Math.max(1, Math.ceil(ttlMs));
    if (!tags || tags.length === 0) {
      await this.client.set(key, bytes, 'PX', px);
      return;
    }
    const tagKeys = tags.map((tag) => this.tagKey(tag));
    await this.client.eval(SET_WITH_TAGS, 1 + tagKeys.length, key, ...tagKeys, bytes, px, px);
  }

  /**
   * Evicts keys by overwriting them with a short-lived tombstone (a unique token): a load that saw
   * the key before this eviction will find a different state and not store.
   */
  async evictKeys(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.client.pipeline();
    for (const key of keys) {
      const token = `${TOMBSTONE_MARK}${this.options.instanceId}.${++this.tombstoneSeq}`;
      pipeline.set(key, token, 'PX', this.options.l2.tombstoneTtlMs);
    }
    await execOrThrow(pipeline);
  }

  /** Removes one key outright (an entry that could not be decoded). */
  async remove(key: string): Promise<void> {
    await this.client.unlink(key);
  }

  /** Evicts every key of a namespace matching a glob (relative to the namespace). */
  async evictMatching(namespace: string, glob: string): Promise<number> {
    // The epoch moves first: a load that stores between the scan and the unlink would otherwise
    // put back what is being evicted.
    await this.client.incr(this.namespaceEpochKey(namespace));
    return this.unlinkScanned(namespacePrefix(this.options.prefix, namespace) + glob);
  }

  async evictTags(tags: readonly string[]): Promise<number> {
    if (tags.length === 0) return 0;
    await this.client.incr(this.tagEpochKey());
    let removed = 0;
    for (const tag of tags) {
      const tagKey = this.tagKey(tag);
      let cursor = '0';
      do {
        const [next, members] = await this.client.sscan(tagKey, cursor, 'COUNT', SCAN_BATCH);
        cursor = next;
        if (members.length > 0) removed += await this.client.unlink(...members);
      } while (cursor !== '0');
      await this.client.unlink(tagKey);
    }
    return removed;
  }

  async evictNamespace(namespace: string): Promise<number> {
    return this.evictMatching(namespace, '*');
  }

  /** Runs `SCAN MATCH` over the keyspace and unlinks matches batch by batch. */
  private async unlinkScanned(match: string): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await (this.client as Redis).scan(cursor, 'MATCH', match, 'COUNT', SCAN_BATCH);
      cursor = next;
      if (keys.length > 0) removed += await this.client.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  }

  private namespaceEpochKey(namespace: string): string {
    return `${this.options.prefix}:${META_SEGMENT}:epoch:${namespace}`;
  }

  private tagEpochKey(): string {
    return `${this.options.prefix}:${META_SEGMENT}:epoch:${TAG_SEGMENT}`;
  }

  tagKey(tag: string): string {
    // Encoded like any key part, so a tag can never widen a pattern or reach another key.
    return `${this.options.prefix}:${TAG_SEGMENT}:${encodeKeyPart(tag)}`;
  }

  private policy(namespace: string): ResolvedPolicy {
    const policy = this.options.policies.get(namespace);
    if (!policy) throw new Error(unknownNamespace(namespace, [...this.options.policies.keys()]));
    return policy;
  }

  // ---- CacheStore: the same tier as a standalone store (L2 only) ----

  async get<T>(namespace: string, key: CacheKey): Promise<T | undefined> {
    this.policy(namespace);
    const read = await this.read(fullKey(this.options.prefix, namespace, key));
    if (read.kind === 'absent') return undefined;
    try {
      const entry = await decodeEntry<T>(read.bytes);
      return entry.freshUntil > this.options.now() ? entry.value : undefined;
    } catch (error) {
      if (error instanceof CacheDecodeError) return undefined;
      throw error;
    }
  }

  async set(namespace: string, key: CacheKey, value: unknown, options?: SetOptions): Promise<void> {
    const policy = this.policy(namespace);
    const ttl = options?.ttlMs ?? policy.l2TtlMs;
    const encoded = await encodeEntry(
      value,
      this.options.now() + ttl,
      policy.compressAboveBytes,
      options?.tags,
    );
    await this.store(
      fullKey(this.options.prefix, namespace, key),
      encoded.bytes,
      ttl + policy.graceMs,
      options?.tags,
    );
  }

  async delete(namespace: string, key: CacheKey): Promise<void> {
    await this.deleteMany(namespace, [key]);
  }

  async deleteMany(namespace: string, keys: readonly CacheKey[]): Promise<void> {
    this.policy(namespace);
    await this.evictKeys(keys.map((key) => fullKey(this.options.prefix, namespace, key)));
  }

  async deleteByPattern(namespace: string, pattern: KeyPattern): Promise<void> {
    this.policy(namespace);
    await this.evictMatching(namespace, patternGlob(pattern));
  }

  async deleteByTag(tags: string | readonly string[]): Promise<void> {
    await this.evictTags(typeof tags === 'string' ? [tags] : tags);
  }

  async clearNamespace(namespace: string): Promise<void> {
    this.policy(namespace);
    await this.evictNamespace(namespace);
  }
}

async function execOrThrow(pipeline: ReturnType<RedisClient['pipeline']>): Promise<void> {
  const results = await pipeline.exec();
  for (const [error] of results ?? []) if (error) throw error;
}
