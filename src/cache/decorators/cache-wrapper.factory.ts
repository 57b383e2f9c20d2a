import { Injectable } from '@nestjs/common';
import { canonicalJson, encodeKey, patternGlob, type CacheKey } from '../cache-keys.js';
import { CacheStack } from '../cache-stack.js';
import { CacheableRegistry } from '../cacheable-registry.js';
import type { EvictionSet } from '../eviction-set.js';
import type { WrapOptions } from '../load.js';
import type { CacheNamespace } from '../namespaces.js';
import { MISS } from '../read-through.handler.js';
import type { CacheMethodMetadata } from './cache-metadata.accessor.js';
import type {
  CacheableOptions,
  CacheConfigOptions,
  CacheEvictOptions,
  CachePutOptions,
} from './cache-options.types.js';

export type Method = (this: unknown, ...args: unknown[]) => unknown;

export class CacheDecoratorError extends Error {
  override readonly name = 'CacheDecoratorError';
}

/**
 * Builds the wrapper that replaces a decorated method: `@Cacheable` reads through the cache,
 * `@CachePut` stores what the method returned, `@CacheEvict` evicts before or after the call.
 * Everything a wrapper needs (namespace, key function, options) is resolved here, once, so a call
 * does no lookups by name.
 */
@Injectable()
export class CacheWrapperFactory {
  constructor(
    private readonly stack: CacheStack,
    private readonly registry: CacheableRegistry,
  ) {}

  /**
   * The method wrapped by each of its decorators: `@Cacheable` innermost, then the puts, then the
   * evictions. A `@Cacheable` method is also registered, so others can call it by name.
   */
  wrap(
    original: Method,
    label: string,
    metadata: CacheMethodMetadata,
    classConfig: CacheConfigOptions | undefined,
    instance: object,
  ): Method {
    let method = original;
    if (metadata.cacheable) {
      method = this.cacheable(method, label, metadata.cacheable, classConfig);
      const wrapped = method;
      this.register(label, metadata.cacheable, classConfig, (args) => wrapped.apply(instance, [...args]));
    }
    for (const put of metadata.puts) method = this.put(method, label, put, classConfig);
    for (const evict of metadata.evictions) method = this.evict(method, label, evict, classConfig);
    return method;
  }

  /** The `@Cacheable` wrapper: the L1 hit path first, so no loader or options are built for a hit. */
  cacheable(original: Method, label: string, options: CacheableOptions, config?: CacheConfigOptions): Method {
    const reads = this.stack.reads;
    const registry = this.registry;
    const ns = this.namespaceFor(label, options.namespace, config);
    const keyOf = keyFunction(label, options);
    const ttlMs = options.ttl ?? config?.ttl;
    const { condition, unless, tags } = options;
    const plain = ttlMs === undefined && !unless && !tags;
    return function cached(this: unknown, ...args: unknown[]) {
      if (condition && !condition(...args)) return reads.bypass(ns, () => original.apply(this, args));
      const relativeKey = encodeKey(keyOf(...args));
      const hit = reads.hitL1(ns, relativeKey);
      let read: Promise<unknown>;
      if (hit !== MISS) read = Promise.resolve(hit);
      else {
        const wrapOptions: WrapOptions<unknown> | undefined = plain
          ? undefined
          : {
              ttlMs,
              unless: unless && ((result) => unless(result, ...args)),
              tags: tags && ((result) => tags(result, ...args)),
            };
        read = reads.readThrough(ns, relativeKey, () => original.apply(this, args), wrapOptions);
      }
      const observer = registry.observer;
      if (observer !== undefined) {
        observer.observe({
          label,
          args,
          namespace: ns,
          key: ns.keyPrefix + relativeKey,
          l1Hit: hit !== MISS,
        });
      }
      return read;
    };
  }

  /** The `@CachePut` wrapper: calls the method, then stores what it returned (unless told not to). */
  put(original: Method, label: string, options: CachePutOptions, config?: CacheConfigOptions): Method {
    const writes = this.stack.writes;
    const ns = this.namespaceFor(label, options.namespace, config);
    const ttlMs = options.ttl ?? config?.ttl;
    return async function putting(this: unknown, ...args: unknown[]) {
      const result = await original.apply(this, args);
      if (!options.unless?.(result, ...args)) {
        await writes.store(ns, ns.keyPrefix + encodeKey(options.key(result, ...args)), result, {
          ttlMs,
          tags: options.tags?.(result, ...args),
        });
      }
      return result;
    };
  }

  /** The `@CacheEvict` wrapper: evicts after a successful call (or before it, when asked). */
  evict(original: Method, label: string, options: CacheEvictOptions, config?: CacheConfigOptions): Method {
    const writes = this.stack.writes;
    const ns = this.namespaceFor(label, options.namespace, config);
    const evictionOf = (args: unknown[]): EvictionSet => ({
      keys: [...(options.key ? [options.key(...args)] : []), ...(options.keys?.(...args) ?? [])].map(
        (key) => ns.keyPrefix + encodeKey(key),
      ),
      patterns: (options.patterns?.(...args) ?? []).map(
        (pattern) => [ns.name, patternGlob(pattern)] as const,
      ),
      tags: options.tags?.(...args) ?? [],
      namespaces: options.allEntries ? [ns.name] : [],
    });
    return async function evicting(this: unknown, ...args: unknown[]) {
      if (options.condition && !options.condition(...args)) return original.apply(this, args);
      const eviction = evictionOf(args);
      if (options.beforeInvocation) await writes.evict(eviction);
      const result = await original.apply(this, args);
      if (!options.beforeInvocation) await writes.evict(eviction);
      return result;
    };
  }

  private register(
    label: string,
    options: CacheableOptions,
    config: CacheConfigOptions | undefined,
    invoke: (args: readonly unknown[]) => unknown,
  ): void {
    const ns = this.namespaceFor(label, options.namespace, config);
    const keyOf = keyFunction(label, options);
    const { reads } = this.stack;
    const registry = this.registry;
    this.registry.register({
      label,
      namespace: ns,
      invoke: async (args) => invoke(args),
      keyOf: (args) => ns.keyPrefix + encodeKey(keyOf(...args)),
      // The L1 hit path of `cached` (see `cacheable`), for a caller that makes the call on a miss.
      takeL1(args, accept) {
        if (options.condition && !options.condition(...args)) return MISS;
        const relativeKey = encodeKey(keyOf(...args));
        const hit = reads.takeL1(ns, relativeKey, accept);
        if (hit !== MISS) {
          registry.observer?.observe({
            label,
            args,
            namespace: ns,
            key: ns.keyPrefix + relativeKey,
            l1Hit: true,
          });
        }
        return hit;
      },
    });
  }

  private namespaceFor(
    label: string,
    own: string | undefined,
    config: CacheConfigOptions | undefined,
  ): CacheNamespace {
    const name = own ?? config?.namespace;
    if (!name)
      throw new CacheDecoratorError(`${label}: no cache namespace (set one, or @CacheConfig on the class)`);
    try {
      return this.stack.namespaces.get(name);
    } catch (error) {
      throw new CacheDecoratorError(`${label}: ${(error as Error).message}`);
    }
  }
}

/** The method's key function, or the default one: the label and the arguments as canonical JSON. */
function keyFunction(label: string, options: CacheableOptions): (...args: unknown[]) => CacheKey {
  return options.key ?? ((...args: unknown[]): CacheKey => [label, canonicalJson(args)]);
}
