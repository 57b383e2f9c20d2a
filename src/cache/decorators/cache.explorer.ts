import { Injectable, Logger } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { requestScopedSkipped } from '../cache.messages.js';
import { CacheMetadataAccessor, type CacheMethodMetadata } from './cache-metadata.accessor.js';
import { CacheWrapperFactory, type Method } from './cache-wrapper.factory.js';

/**
 * Finds the methods carrying `@Cacheable`, `@CacheEvict` and `@CachePut` on every provider and
 * controller, and replaces each on its instance with the wrapper `CacheWrapperFactory` builds. It
 * only discovers: the behaviour lives in the factory.
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
    private readonly wrappers: CacheWrapperFactory,
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
    const decorated: [string, CacheMethodMetadata][] = [];
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const method = prototype[name];
      const metadata = typeof method === 'function' ? this.metadata.method(method) : undefined;
      if (metadata) decorated.push([name, metadata]);
    }
    if (decorated.length === 0) return;
    if (!wrapper.isDependencyTreeStatic()) {
      for (const [name] of decorated) this.logger.warn(requestScopedSkipped(classRef.name, name));
      return;
    }
    const instance = wrapper.instance as Record<string, Method> | undefined;
    if (!instance) return;
    const classConfig = this.metadata.classConfig(classRef);
    for (const [name, metadata] of decorated) {
      const original = prototype[name]!;
      const wrapped = this.wrappers.wrap(
        original,
        `${classRef.name}.${name}`,
        metadata,
        classConfig,
        instance,
      );
      for (const key of Reflect.getMetadataKeys(original)) {
        Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapped);
      }
      Object.defineProperty(wrapped, 'name', { value: original.name });
      instance[name] = wrapped;
    }
  }
}
