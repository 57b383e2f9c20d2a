import { BadRequestException, Injectable } from '@nestjs/common';
import { ANY, HybridCacheService, type CacheKey, type KeyPattern } from '../cache/index.js';
import type { InvalidateCacheDto } from './dto/invalidate-cache.dto.js';

/** The part of a pattern that matches any sequence of characters. */
export const PATTERN_WILDCARD = '*';

export interface InvalidationSummary {
  keys: number;
  patterns: number;
  tags: number;
  namespace: string | null;
}

/**
 * Applies an operator's invalidation through the cache's own evictions, which remove the entries
 * from Redis and tell every replica to drop them from its L1 (or keep them for replay if Redis is
 * unreachable). Keys go through the cache's key encoding, so `["video", "v:1"]` names exactly the
 * entry the code cached under that key, and a pattern can never reach outside its namespace.
 */
@Injectable()
export class CacheInvalidationService {
  constructor(private readonly cache: HybridCacheService) {}

  async invalidate(request: InvalidateCacheDto): Promise<InvalidationSummary> {
    const { keys = [], patterns = [], tags = [], namespace } = request;
    if (keys.length + patterns.length + tags.length === 0 && namespace === undefined) {
      throw new BadRequestException('the body must name at least one of keys, patterns, tags, namespace');
    }
    // Every namespace is checked before anything is evicted: a bad request evicts nothing.
    for (const name of [...keys.map((k) => k.namespace), ...patterns.map((p) => p.namespace), namespace]) {
      if (name !== undefined) this.checkNamespace(name);
    }

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
