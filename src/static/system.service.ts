import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { CacheConfig, Cacheable, HybridCacheService, type L2Status } from '../cache/index.js';
import { DatabaseService, type DatabaseKind } from '../database/index.js';
import {
  OPENAPI_JSON_PATH,
  serviceVersion,
  STATIC_NAMESPACE,
  STATUS_TTL_MS,
  apiDocsKey,
  statusKey,
} from './static.constants.js';
import { apiDocsUnavailable } from './static.messages.js';

/** An OpenAPI document, as far as this service reads it. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  [field: string]: unknown;
}

export type UptimeBucket = 'under 1m' | '1m-10m' | '10m-1h' | '1h-1d' | '1d or more';

export interface SystemStatus {
  service: 'vidcache';
  version: string;
  /** Which replica answered (random per process). */
  replica: string;
  startedAt: Date;
  uptime: UptimeBucket;
  database: DatabaseKind;
  cache: { l2: L2Status };
}

const UPTIME_BUCKETS: readonly [number, UptimeBucket][] = [
  [60_000, 'under 1m'],
  [600_000, '1m-10m'],
  [3_600_000, '10m-1h'],
  [86_400_000, '1h-1d'],
];

/** Coarse on purpose: a status cached for a few seconds stays true. */
export function uptimeBucket(uptimeMs: number): UptimeBucket {
  return UPTIME_BUCKETS.find(([limit]) => uptimeMs < limit)?.[1] ?? '1d or more';
}

interface InjectableServer {
  inject(request: { method: 'GET'; url: string }): Promise<{ statusCode: number; body: string }>;
}

/** The API documentation by version, and the status of this replica (`static` namespace). */
@CacheConfig({ namespace: STATIC_NAMESPACE })
@Injectable()
export class SystemService {
  private readonly replica = randomUUID();
  private readonly startedAt = new Date();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly database: DatabaseService,
    private readonly cache: HybridCacheService,
  ) {}

  /**
   * The OpenAPI document of an API version (`v1` for the document whose `info.version` is `1`), or
   * null for a version this release does not serve. Throws (503) when the document cannot be read.
   *
   * Why through the HTTP server: the document is built once, from the whole application, where the
   * app is configured (`configureApp` in app.setup.ts) and served by Swagger at `/docs/json`.
   * Reading that document keeps one definition of it; this costs one in-process request per
   * version and release, as the result is cached for the `static` policy's TTL.
   */
  @Cacheable({ key: (version: string) => apiDocsKey(version) })
  async apiDocs(version: string): Promise<OpenApiDocument | null> {
    const server = this.adapterHost.httpAdapter.getInstance<InjectableServer>();
    const response = await server.inject({ method: 'GET', url: OPENAPI_JSON_PATH });
    // Thrown, not null: a failure (docs not set up, throttled, …) must not be cached as "no such version".
    if (response.statusCode !== 200)
      throw new ServiceUnavailableException(apiDocsUnavailable(response.statusCode));
    const document = JSON.parse(response.body) as OpenApiDocument;
    const major = String(document.info?.version ?? '').split('.')[0];
    return version === `v${major}` ? document : null;
  }

  /** What this replica runs on; cached for a few seconds. */
  status(): Promise<SystemStatus> {
    return this.statusOf(this.replica);
  }

  /** Keyed by replica: a status describes the replica that answers, never another one's. */
  @Cacheable({ key: (replica: string) => statusKey(replica), ttl: STATUS_TTL_MS })
  async statusOf(replica: string): Promise<SystemStatus> {
    return {
      service: 'vidcache',
      version: serviceVersion(),
      replica,
      startedAt: this.startedAt,
      uptime: uptimeBucket(Date.now() - this.startedAt.getTime()),
      database: this.database.kind,
      cache: { l2: this.cache.l2Status },
    };
  }
}
