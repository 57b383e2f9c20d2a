import { Injectable, Logger } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { encodeKey, patternGlob, type CacheKey } from './cache-keys.js';
import { CacheMetadataAccessor } from './cache-metadata.accessor.js';
import { CacheableRegistry } from './cacheable-registry.js';
import { requestScopedSkipped } from './cache.messages.js';
import type { EvictionSet } from './eviction-set.js';
import { CacheStack } from './cache-stack.js';
import { HybridCacheService } from './hybrid-cache.service.js';
import type { WrapOptions } from './load.js';
import { MISS } from './read-through.handler.js';
import type {
  CacheableOptions,
  CacheConfigOptions,
  CacheEvictOptions,
  CachePutOptions,
} from './decorators/cache-options.types.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;

export class CacheDecoratorError extends Error {
  override readonly name = 'CacheDecoratorError';
}

/** JSON with sorted object keys, so equal arguments always give the same default key. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Finds the methods carrying `@Cacheable`, `@CacheEvict` and `@CachePut` on every provider and
 * controller, and replaces each on its instance with a wrapper that goes through the hybrid cache.
 *
 * The prototype is left untouched, and every metadata key of the original method is copied to the
 * wrapper, so other decorators (`@Cron`, Swagger, route metadata) keep working. Request-scoped
 * providers are skipped with a warning: their instances are created per request, after bootstrap.
 */
@Injectable()
export class CacheExplorer {
  private readonly logger = new Logger(CacheExplorer.name);
  private explored = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metadata: CacheMetadataAccessor,
    private readonly cache: HybridCacheService,
    private readonly stack: CacheStack,
    private readonly registry: CacheableRegistry,
  ) {}

  /** Wires every decorated method, once. */
  explore(): void {
    if (this.explored) return;
    this.explored = true;
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      this.exploreInstance(wrapper);
    }
  }

  private exploreInstance(wrapper: InstanceWrapper): void {
    const classRef = wrapper.metatype as (new (...args: never[]) => object) | null;
    if (!classRef || typeof classRef !== 'function' || !classRef.prototype) return;
    const prototype = classRef.prototype as Record<string, Method>;
    const decorated = this.scanner
      .getAllMethodNames(prototype)
      .filter((name) => typeof prototype[name] === 'function' && this.metadata.hasAny(prototype[name]));
    if (decorated.length === 0) return;
    if (!wrapper.isDependencyTreeStatic()) {
      for (const name of decorated) this.logger.warn(requestScopedSkipped(classRef.name, name));
      return;
    }
    const instance = wrapper.instance as Record<string, Method> | undefined;
    if (!instance) return;
    const classConfig = this.metadata.classConfig(classRef);
    for (const name of decorated) {
      const label = `${classRef.name}.${name}`;
      const wrapped = this.wrapMethod(prototype[name]!, label, classConfig);
      instance[name] = wrapped;
      const cacheable = this.metadata.cacheable(prototype[name]!);
      if (cacheable)
        this.register(label, cacheable, classConfig, (args) => wrapped.apply(instance, [...args]));
    }
  }

  private wrapMethod(original: Method, label: string, classConfig: CacheConfigOptions | undefined): Method {
    let method = original;
    const cacheable = this.metadata.cacheable(original);
    if (cacheable) method = this.cacheable(method, label, cacheable, classConfig);
    for (const put of this.metadata.puts(original)) method = this.put(method, label, put, classConfig);
    for (const evict of this.metadata.evictions(original))
      method = this.evict(method, label, evict, classConfig);
    for (const key of Reflect.getMetadataKeys(original)) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, original), method);
    }
    Object.defineProperty(method, 'name', { value: original.name });
    return method;
  }

  private namespaceFor(label: string, own: string | undefined, classConfig: CacheConfigOptions | undefined) {
    const name = own ?? classConfig?.namespace;
    if (!name)
      throw new CacheDecoratorError(`${label}: no cache namespace (set one, or @CacheConfig on the class)`);
    try {
      return this.stack.namespaces.get(name);
    } catch (error) {
      throw new CacheDecoratorError(`${label}: ${(error as Error).message}`);
    }
  }

  private register(
    label: string,
    options: CacheableOptions,
    config: CacheConfigOptions | undefined,
    invoke: (args: readonly unknown[]) => unknown,
  ): void {
    const ns = this.namespaceFor(label, options.namespace, config);
    const keyOf = this.keyFunction(label, options);
    this.registry.register({
      label,
      namespace: ns,
      invoke: async (args) => invoke(args),
      keyOf: (args) => ns.keyPrefix + encodeKey(keyOf(...args)),
    });
  }

  private keyFunction(label: string, options: CacheableOptions): (...args: unknown[]) => CacheKey {
    return options.key ?? ((...args: unknown[]): CacheKey => [label, canonicalJson(args)]);
  }

  private cacheable(
    original: Method,
    label: string,
    options: CacheableOptions,
    config?: CacheConfigOptions,
  ): Method {
    const reads = this.stack.reads;
    const registry = this.registry;
    const ns = this.namespaceFor(label, options.namespace, config);
    const keyOf = this.keyFunction(label, options);
    const ttlMs = options.ttl ?? config?.ttl;
    const { condition, unless, tags } = options;
    const plain = ttlMs === undefined && !unless && !tags;
    return function cached(this: unknown, ...args: unknown[]) {
      if (condition && !condition(...args)) return reads.bypass(ns, () => original.apply(this, args));
      const relativeKey = encodeKey(keyOf(...args));
      // The hit path first: no loader or options are built for a read L1 answers.
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
        const key = ns.keyPrefix + relativeKey;
        observer.observe({ label, args, namespace: ns, key, l1Hit: hit !== MISS });
      }
      return read;
    };
  }

  private put(
    original: Method,
    label: string,
    options: CachePutOptions,
    config?: CacheConfigOptions,
  ): Method {
    const cache = this.cache;
    const ns = this.namespaceFor(label, options.namespace, config);
    const ttlMs = options.ttl ?? config?.ttl;
    return async function putting(this: unknown, ...args: unknown[]) {
      const result = await original.apply(this, args);
      if (!options.unless?.(result, ...args)) {
        await cache.set(ns.name, options.key(result, ...args), result, {
          ttlMs,
          tags: options.tags?.(result, ...args),
        });
      }
      return result;
    };
  }

  private evict(
    original: Method,
    label: string,
    options: CacheEvictOptions,
    config?: CacheConfigOptions,
  ): Method {
    const cache = this.cache;
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
      if (options.beforeInvocation) await cache.evict(eviction);
      const result = await original.apply(this, args);
      if (!options.beforeInvocation) await cache.evict(eviction);
      return result;
    };
  }
}
