import { createHash } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import { encodeKeyPart, namespacePrefix } from '../cache-keys.js';
import { isTombstone, TOMBSTONE_MARK } from '../cache-codec.js';
import type { ResolvedCacheOptions } from '../cache-options.js';
import { META_SEGMENT, TAG_SEGMENT } from '../cache.constants.js';
import type { RedisClient } from '../../redis/redis-connections.js';
import { RedisScript } from '../../redis/redis-script.js';
import { RELEASE_IF_OWNER } from '../../redis/redis.scripts.js';
import type { EvictionSet } from '../eviction-set.js';
import type { L2Tier, L2Write } from '../tiers.js';

/**
 * What a reader saw in L2 before it went to the source. A load may store its result only if L2
 * still looks the same when it finishes; see {@link RedisStore.storeIfUnchanged}.
 */
export interface L2Observation {
  /**
   * `''` the key was absent, `'V<sha1>'` it held a (stale) value with that digest
   * ({@link valueState}), otherwise the tombstone found there.
   */
  readonly state: string;
  readonly namespaceEpoch: string;
  readonly tagEpoch: string;
}

export type L2Read =
  { readonly kind: 'value'; readonly bytes: Buffer } | { readonly kind: 'absent'; readonly state: string };

const ABSENT: L2Read = { kind: 'absent', state: '' };

/**
 * The observed state of a key that held a value: the value's digest, not only "a value". A load that
 * saw a stale value must not store over a different value written since (a `@CachePut` after a write
 * to the source, which leaves no tombstone): with `'V'` alone the two looked the same, and the
 * load's older result replaced the new value until it expired.
 */
export function valueState(bytes: Buffer): string {
  return 'V' + createHash('sha1').update(bytes).digest('hex');
}

function classifyRead(bytes: Buffer | null): L2Read {
  if (bytes === null) return ABSENT;
  if (isTombstone(bytes)) return { kind: 'absent', state: bytes.toString('latin1') };
  return { kind: 'value', bytes };
}

/**
 * Lua: adds `member` to the tag sets KEYS[first], KEYS[first + 1], …, and keeps each set alive at
 * least `ttl` ms (as long as the longest-lived entry it names).
 */
const addToTags = (first: number, member: string, ttl: string) => `for i = ${first}, #KEYS do
  redis.call('SADD', KEYS[i], ${member})
  if redis.call('PTTL', KEYS[i]) < tonumber(${ttl}) then redis.call('PEXPIRE', KEYS[i], ${ttl}) end
end
`;

// What KEYS[1] holds, as L2Observation.state: '' absent, 'V' and the SHA-1 of a value, or the
// tombstone itself; the script stops (returns 0) unless that is still ARGV[1], what the reader saw.
const UNLESS_STATE_CHANGED = `
local current = redis.call('GET', KEYS[1])
local state = ''
if current then
  if string.sub(current, 1, 1) == '${TOMBSTONE_MARK}' then state = current else state = 'V' .. redis.sha1hex(current) end
end
if state ~= ARGV[1] then return 0 end
`;

// Stores only if nothing was evicted since the reader looked: the key still holds what the reader
// saw (no tombstone appeared or changed) and neither the namespace's nor the tags' epoch moved.
// This closes the cache-aside race across replicas: a load that began before a write cannot
// store its older value after that write's eviction.
const STORE_IF_UNCHANGED =
  new RedisScript(`${UNLESS_STATE_CHANGED}if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then return 0 end
if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
${addToTags(4, 'KEYS[1]', 'ARGV[6]')}return 1
`);

// The same check for one key only, for Redis Cluster, where the epochs live in another slot and
// cannot be read by the same script; see storeAcrossSlots.
const STORE_IF_STATE =
  new RedisScript(`${UNLESS_STATE_CHANGED}redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`);

// KEYS[1] the tag set, ARGV[1] the entry's key, ARGV[2] the set's minimum lifetime.
const ADD_TO_TAG = new RedisScript(`${addToTags(1, 'ARGV[1]', 'ARGV[2]')}return 1`);

const SET_WITH_TAGS = new RedisScript(`redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
${addToTags(2, 'KEYS[1]', 'ARGV[3]')}return 1
`);

const SCAN_BATCH = 500;
/** How long a master's replica count (`ROLE`) is trusted before it is read again. */
const REPLICA_COUNT_TTL_MS = 1_000;

/** A master's replicas did not all acknowledge the writes in time (see {@link RedisStore.replicated}). */
export class NotReplicatedError extends Error {
  constructor(acknowledged: number, expected: number, timeoutMs: number) {
    super(`${acknowledged} of ${expected} replicas acknowledged the writes within ${timeoutMs} ms`);
    this.name = 'NotReplicatedError';
  }
}

/**
 * L2: entries in Redis under `<prefix>:<namespace>:<key>`, in the binary format of `cache-codec.ts`,
 * over ioredis clients it does not own. Finds keys with `SCAN` and removes them with `UNLINK` in
 * batches (never `KEYS`, never `FLUSHDB`), and keeps tag indexes as Redis sets.
 *
 * Two connections: `client` for reads, the loads' conditional stores and the load locks; `writer`
 * for the writes that are waited for until Redis's replicas have them (evictions, {@link store}) and
 * for that `WAIT` itself, which must be sent on the connection that wrote. A `WAIT` holds its
 * connection until it is answered, and nothing on `client` queues behind it (see RedisConnections).
 */
export class RedisStore implements L2Tier {
  private tombstoneSeq = 0;
  /** Each master's connected replicas, as `ROLE` last said (see {@link replicated}). */
  private readonly replicaCounts = new WeakMap<Redis, { count: number; at: number; refreshing?: boolean }>();
  /** On a Cluster no command may span slots, so multi-key steps are split (see each method). */
  private readonly cluster: boolean;

  constructor(
    private readonly client: RedisClient,
    private readonly options: ResolvedCacheOptions,
    private readonly writer: RedisClient = client,
  ) {
    this.cluster = client instanceof Cluster;
  }

  /** One GET, classified. Not `async`: on the L2-hit path every promise layer costs (bench/README.md). */
  read(key: string): Promise<L2Read> {
    return this.client.getBuffer(key).then(classifyRead);
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
  async storeIfUnchanged(namespace: string, write: L2Write, observed: L2Observation): Promise<boolean> {
    const { key, bytes, ttlMs, tags } = write;
    const tagKeys = (tags ?? []).map((tag) => this.tagKey(tag));
    if (this.cluster) return this.storeAcrossSlots(namespace, key, bytes, ttlMs, tagKeys, observed);
    const stored = await STORE_IF_UNCHANGED.run(
      this.client,
      [key, this.namespaceEpochKey(namespace), this.tagEpochKey(), ...tagKeys],
      [
        observed.state,
        observed.namespaceEpoch,
        observed.tagEpoch,
        bytes,
        Math.max(1, Math.ceil(ttlMs)),
        Math.ceil(ttlMs),
      ],
    );
    return stored === 1;
  }

  /**
   * The conditional store on a Cluster, where the entry, the epochs and the tag sets live in
   * different slots. The steps are ordered so that no eviction can be missed:
   * 1. the epochs still match what the reader saw (else an eviction happened: do not store);
   * 2. the key joins its tag sets first, so a tag eviction from now on finds it;
   * 3. the entry is written if it still holds what the reader saw (one-slot script);
   * 4. the epochs are read again: if one moved since step 1, an eviction may have scanned past the
   *    key before the write landed, so the write is taken back.
   */
  private async storeAcrossSlots(
    namespace: string,
    key: string,
    bytes: Buffer,
    ttlMs: number,
    tagKeys: readonly string[],
    observed: L2Observation,
  ): Promise<boolean> {
    const px = Math.max(1, Math.ceil(ttlMs));
    const epochsUnchanged = async () => {
      const now = await this.observe(namespace, observed.state);
      return now.namespaceEpoch === observed.namespaceEpoch && now.tagEpoch === observed.tagEpoch;
    };
    if (!(await epochsUnchanged())) return false;
    await Promise.all(tagKeys.map((tagKey) => ADD_TO_TAG.run(this.client, [tagKey], [key, px])));
    if ((await STORE_IF_STATE.run(this.client, [key], [observed.state, bytes, px])) !== 1) return false;
    if (await epochsUnchanged()) return true;
    await this.client.unlink(key);
    return false;
  }

  async store({ key, bytes, ttlMs, tags }: L2Write): Promise<void> {
    const px = Math.max(1, Math.ceil(ttlMs));
    if (!tags || tags.length === 0) {
      await this.writer.set(key, bytes, 'PX', px);
      return;
    }
    const tagKeys = tags.map((tag) => this.tagKey(tag));
    if (this.cluster) {
      await Promise.all(tagKeys.map((tagKey) => ADD_TO_TAG.run(this.writer, [tagKey], [key, px])));
      await this.writer.set(key, bytes, 'PX', px);
      return;
    }
    await SET_WITH_TAGS.run(this.writer, [key, ...tagKeys], [bytes, px, px]);
  }

  /**
   * Evicts keys by overwriting them with a short-lived tombstone (a unique token): a load that saw
   * the key before this eviction will find a different state and not store.
   */
  async evictKeys(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const tombstone = () => `${TOMBSTONE_MARK}${this.options.instanceId}.${++this.tombstoneSeq}`;
    const ttl = this.options.l2.tombstoneTtlMs;
    if (this.cluster) {
      // Keys of different slots cannot share a pipeline; auto-pipelining batches them per node.
      await Promise.all(keys.map((key) => this.writer.set(key, tombstone(), 'PX', ttl)));
      return;
    }
    const pipeline = this.writer.pipeline();
    for (const key of keys) pipeline.set(key, tombstone(), 'PX', ttl);
    await execOrThrow(pipeline);
  }

  /**
   * Waits until the replicas of the masters written to have the writes sent so far (`WAIT`, on the
   * connection that sent them), so that a failover cannot promote a replica without them: an
   * eviction acknowledged by a master that then dies would otherwise be lost with it, and the old
   * value read again from the promoted replica. `keys` names what was written (on a Cluster, the
   * masters of their slots); `'all'`, every master (a namespace, pattern or tag eviction writes on
   * each). Throws {@link NotReplicatedError} when a master's replicas did not all acknowledge within
   * `timeoutMs`. A master with no replica connected (a single server) is not waited for; its replica
   * count is read with `ROLE` (see {@link connectedReplicas}).
   */
  async replicated(keys: readonly string[] | 'all', timeoutMs: number): Promise<void> {
    await Promise.all(
      this.mastersOf(keys).map(async (node) => {
        const expected = await this.connectedReplicas(node);
        if (expected === 0) return;
        const acknowledged = await node.wait(expected, timeoutMs);
        if (acknowledged < expected) throw new NotReplicatedError(acknowledged, expected, timeoutMs);
      }),
    );
  }

  /** The connections to the masters that hold `keys`: on a Cluster, found by slot; when unsure, all. */
  private mastersOf(keys: readonly string[] | 'all'): Redis[] {
    const client = this.writer;
    if (!(client instanceof Cluster)) return [client];
    const masters = client.nodes('master');
    if (keys === 'all') return masters;
    const byAddress = new Map(masters.map((node) => [`${node.options.host}:${node.options.port}`, node]));
    const chosen = new Set<Redis>();
    for (const key of keys) {
      const node = byAddress.get(client.slots[calculateSlot(key)]?.[0] ?? '');
      // A slot whose master this client does not know (a topology change under way): every master.
      if (!node) return masters;
      chosen.add(node);
    }
    return [...chosen];
  }

  /**
   * A master's connected replicas. Once known, the count is answered at once and refreshed in the
   * background when older than a second, so `ROLE` adds neither a round trip nor a way to fail to
   * a write (a refresh that fails keeps the last count, and the next write tries again); only the
   * first write to a master waits for it.
   */
  private connectedReplicas(node: Redis): Promise<number> | number {
    const known = this.replicaCounts.get(node);
    if (!known) return this.readReplicaCount(node);
    if (Date.now() - known.at >= REPLICA_COUNT_TTL_MS && !known.refreshing) {
      known.refreshing = true;
      this.readReplicaCount(node).catch(() => (known.refreshing = false));
    }
    return known.count;
  }

  private async readReplicaCount(node: Redis): Promise<number> {
    // A master answers ['master', offset, [[host, port, offset], …]]: one entry per connected replica.
    const role = (await node.role()) as unknown[];
    const count = role[0] === 'master' && Array.isArray(role[2]) ? role[2].length : 0;
    this.replicaCounts.set(node, { count, at: Date.now() });
    return count;
  }

  /**
   * Takes the cross-replica load lock of a key (`SET NX PX` with a random token); resolves the
   * token, or `undefined` if another replica holds it. The lock expires by itself if its owner dies.
   */
  async acquireLoadLock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = `${this.options.instanceId}.${++this.tombstoneSeq}`;
    const acquired = await this.client.set(this.loadLockKey(key), token, 'PX', Math.ceil(ttlMs), 'NX');
    return acquired === 'OK' ? token : undefined;
  }

  /** Releases a load lock, only if this token still owns it (compare-and-delete in one script). */
  async releaseLoadLock(key: string, token: string): Promise<void> {
    await RELEASE_IF_OWNER.run(this.client, [this.loadLockKey(key)], [token]);
  }

  private loadLockKey(key: string): string {
    return `${this.options.prefix}:${META_SEGMENT}:load-lock:${key}`;
  }

  /** Removes one key outright (an entry that could not be decoded). */
  async remove(key: string): Promise<void> {
    await this.client.unlink(key);
  }

  /**
   * Makes the old values of an eviction unreadable with plain `UNLINK`s, which Redis accepts even
   * when it refuses writes (full, `noeviction`): the fallback when the eviction itself was refused.
   * Leaves no tombstone and moves no epoch; the eviction is replayed for those once Redis accepts it.
   */
  async removeOldValues(set: EvictionSet): Promise<void> {
    await this.unlinkAll(set.keys);
    for (const namespace of set.namespaces)
      await this.unlinkScanned(namespacePrefix(this.options.prefix, namespace) + '*');
    for (const [namespace, glob] of set.patterns)
      await this.unlinkScanned(namespacePrefix(this.options.prefix, namespace) + glob);
    for (const tag of set.tags) await this.unlinkTagMembers(this.tagKey(tag));
  }

  /** Evicts every key of a namespace matching a glob (relative to the namespace). */
  async evictMatching(namespace: string, glob: string): Promise<number> {
    // The epoch moves first: a load that stores between the scan and the unlink would otherwise
    // put back what is being evicted.
    await this.writer.incr(this.namespaceEpochKey(namespace));
    return this.unlinkScanned(namespacePrefix(this.options.prefix, namespace) + glob);
  }

  async evictTags(tags: readonly string[]): Promise<number> {
    if (tags.length === 0) return 0;
    await this.writer.incr(this.tagEpochKey());
    let removed = 0;
    for (const tag of tags) removed += await this.unlinkTagMembers(this.tagKey(tag));
    return removed;
  }

  /** Unlinks every member of a tag set, then the set. */
  private async unlinkTagMembers(tagKey: string): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, members] = await this.writer.sscan(tagKey, cursor, 'COUNT', SCAN_BATCH);
      cursor = next;
      removed += await this.unlinkAll(members);
    } while (cursor !== '0');
    await this.writer.unlink(tagKey);
    return removed;
  }

  async evictNamespace(namespace: string): Promise<number> {
    return this.evictMatching(namespace, '*');
  }

  /** Runs `SCAN MATCH` over the keyspace (every master of a Cluster) and unlinks matches batch by batch. */
  private async unlinkScanned(match: string): Promise<number> {
    let removed = 0;
    await scanEach(this.writer, match, async (keys) => {
      removed += await this.unlinkAll(keys);
    });
    return removed;
  }

  /** `UNLINK` of many keys: one command on a single server, one per key on a Cluster (slots differ). */
  private async unlinkAll(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    if (!this.cluster) return this.writer.unlink(...keys);
    const counts = await Promise.all(keys.map((key) => this.writer.unlink(key)));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  // The epochs share one hash tag, so one MGET reads both even on a Cluster.
  private namespaceEpochKey(namespace: string): string {
    return `{${this.options.prefix}:${META_SEGMENT}:epoch}:${namespace}`;
  }

  private tagEpochKey(): string {
    return `{${this.options.prefix}:${META_SEGMENT}:epoch}:${TAG_SEGMENT}`;
  }

  tagKey(tag: string): string {
    // Encoded like any key part, so a tag can never widen a pattern or reach another key.
    return `${this.options.prefix}:${TAG_SEGMENT}:${encodeKeyPart(tag)}`;
  }
}

/**
 * Calls `onBatch` with every key matching `match`, batch by batch, using `SCAN` (never `KEYS`): on
 * a single server directly, on a Cluster on each master in turn.
 */
export async function scanEach(
  client: RedisClient,
  match: string,
  onBatch: (keys: string[]) => Promise<void>,
): Promise<void> {
  const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_BATCH);
      cursor = next;
      if (keys.length > 0) await onBatch(keys);
    } while (cursor !== '0');
  }
}

async function execOrThrow(pipeline: ReturnType<RedisClient['pipeline']>): Promise<void> {
  const results = await pipeline.exec();
  for (const [error] of results ?? []) if (error) throw error;
}
