import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  CACHEABLE_METADATA,
  CACHE_CONFIG_METADATA,
  CACHE_EVICT_METADATA,
  CACHE_PUT_METADATA,
} from './cache.constants.js';
import type {
  CacheableOptions,
  CacheConfigOptions,
  CacheEvictOptions,
  CachePutOptions,
} from './decorators/cache-options.types.js';

type AnyFunction = (...args: never[]) => unknown;

/** Reads what the cache decorators recorded. */
@Injectable()
export class CacheMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  cacheable(method: AnyFunction): CacheableOptions | undefined {
    return this.reflector.get<CacheableOptions | undefined>(CACHEABLE_METADATA, method);
  }

  evictions(method: AnyFunction): readonly CacheEvictOptions[] {
    return this.reflector.get<CacheEvictOptions[] | undefined>(CACHE_EVICT_METADATA, method) ?? [];
  }

  puts(method: AnyFunction): readonly CachePutOptions[] {
    return this.reflector.get<CachePutOptions[] | undefined>(CACHE_PUT_METADATA, method) ?? [];
  }

  classConfig(classRef: object): CacheConfigOptions | undefined {
    return this.reflector.get<CacheConfigOptions | undefined>(CACHE_CONFIG_METADATA, classRef as AnyFunction);
  }

  hasAny(method: AnyFunction): boolean {
    return (
      this.cacheable(method) !== undefined ||
      this.evictions(method).length > 0 ||
      this.puts(method).length > 0
    );
  }
}
