import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  CACHEABLE_METADATA,
  CACHE_CONFIG_METADATA,
  CACHE_EVICT_METADATA,
  CACHE_PUT_METADATA,
} from '../cache.constants.js';
import type {
  CacheableOptions,
  CacheConfigOptions,
  CacheEvictOptions,
  CachePutOptions,
} from './cache-options.types.js';

type AnyFunction = (...args: never[]) => unknown;

/** Everything the cache decorators recorded on one method, read once. */
export interface CacheMethodMetadata {
  readonly cacheable: CacheableOptions | undefined;
  readonly puts: readonly CachePutOptions[];
  readonly evictions: readonly CacheEvictOptions[];
}

/** Reads what the cache decorators recorded. */
@Injectable()
export class CacheMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  /** The method's cache metadata, or `undefined` when it carries no cache decorator. */
  method(method: AnyFunction): CacheMethodMetadata | undefined {
    const cacheable = this.reflector.get<CacheableOptions | undefined>(CACHEABLE_METADATA, method);
    const puts = this.reflector.get<CachePutOptions[] | undefined>(CACHE_PUT_METADATA, method) ?? [];
    const evictions = this.reflector.get<CacheEvictOptions[] | undefined>(CACHE_EVICT_METADATA, method) ?? [];
    return cacheable === undefined && puts.length === 0 && evictions.length === 0
      ? undefined
      : { cacheable, puts, evictions };
  }

  classConfig(classRef: object): CacheConfigOptions | undefined {
    return this.reflector.get<CacheConfigOptions | undefined>(CACHE_CONFIG_METADATA, classRef as AnyFunction);
  }
}
