import { BadRequestException, Injectable, type OnModuleInit } from '@nestjs/common';
import { ANY, HybridCacheService, type CacheKey, type KeyPattern } from '../cache/index.js';
import { CACHE_KEY_KINDS } from './cache-key-kinds.js';
import { KEY_EXAMPLE, type InvalidateCacheDto } from './dto/invalidate-cache.dto.js';
import { ReplicaInvalidation, type ReplicaConfirmation } from './replica-invalidation.js';

/** The part of a pattern that matches any sequence of characters. */
export const PATTERN_WILDCARD = '*';

export interface InvalidationSummary {
  keys: number;
  patterns: number;
  tags: number;
  namespace: string | null;
}

/** The summary of what was invalidated, and which other replicas confirmed it. */
export interface InvalidationResult {
  invalidated: InvalidationSummary;
  replicas: ReplicaConfirmation;
}

/**
 * Applies an operator's invalidation through the cache's own evictions, which remove the entries
 * from Redis and tell every replica to drop them from its L1 (or keep them for replay if Redis is
 * unreachable). Keys go through the cache's key encoding, so `["video", "v:1"]` names exactly the
 * entry the code cached under that key, and a pattern can never reach outside its namespace.
 */
@Injectable()
export class CacheInvalidationService implements OnModuleInit {
  constructor(
    private readonly cache: HybridCacheService,
    private readonly replicas: ReplicaInvalidation,
  ) {}

  onModuleInit(): void {
    this.replicas.onRequest((request) => this.apply(request));
  }

  /**
   * Validates the request, applies it here (L1, Redis, the bus), then has every other replica
   * apply it and waits for their confirmations. Whether all confirmed is the caller's to judge.
   */
  async invalidate(request: InvalidateCacheDto): Promise<InvalidationResult> {
    const invalidated = await this.apply(request);
    return { invalidated, replicas: await this.replicas.broadcast(request) };
  }

  private async apply(request: InvalidateCacheDto): Promise<InvalidationSummary> {
    const { keys = [], patterns = [], tags = [], namespace } = request;
    if (keys.length + patterns.length + tags.length === 0 && namespace === undefined) {
      throw new BadRequestException('the body must name at least one of keys, patterns, tags, namespace');
    }
    // Everything is checked before anything is evicted: a bad request evicts nothing.
    for (const name of [...keys.map((k) => k.namespace), ...patterns.map((p) => p.namespace), namespace]) {
      if (name !== undefined) this.checkNamespace(name);
    }
    keys.forEach(({ namespace: name, key }, i) => checkKind(`keys.${i}.key`, name, key));
    patterns.forEach(({ namespace: name, pattern }, i) => checkKind(`patterns.${i}.pattern`, name, pattern));

    const byNamespace = new Map<string, CacheKey[]>();
    for (const { namespace: name, key } of keys) {
      const list = byNamespace.get(name) ?? [];
      list.push(key);
      byNamespace.set(name, list);
    }
    for (const [name, list] of byNamespace) await this.cache.deleteMany(name, list);
    for (const { namespace: name, pattern } of patterns) {
      const keyPattern: KeyPattern = pattern.map((part) => (part === PATTERN_WILDCARD ? ANY : part));
      await this.cache.deleteByPattern(name, keyPattern);
    }
    if (tags.length > 0) await this.cache.deleteByTag(tags);
    if (namespace !== undefined) await this.cache.clearNamespace(namespace);
    return { keys: keys.length, patterns: patterns.length, tags: tags.length, namespace: namespace ?? null };
  }

  private checkNamespace(name: string): void {
    try {
      this.cache.assertNamespace(name);
    } catch (error) {
      throw new BadRequestException((error as Error).message);
    }
  }
}

/** Refuses a key or pattern whose first part is not a kind of entry its namespace holds. */
function checkKind(field: string, namespace: string, parts: readonly (string | number)[]): void {
  const kinds = CACHE_KEY_KINDS.get(namespace);
  if (kinds === undefined || kinds.includes(String(parts[0]))) return;
  throw new BadRequestException(
    `${field} must start with the kind of entry, one of ${kinds.map((k) => JSON.stringify(k)).join(', ')} in namespace ${namespace} (such as ${KEY_EXAMPLE} in namespace video); ${JSON.stringify(parts).slice(0, 80)} names no entry`,
  );
}
