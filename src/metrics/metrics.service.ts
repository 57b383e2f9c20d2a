import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { HybridCacheService } from '../cache/index.js';
import { DatabaseService } from '../database/database.service.js';
import { WarmupService } from '../warmup/warmup.service.js';
import { registerCacheMetrics } from './cache.metrics.js';
import { HttpDurationHistogram } from './http-duration.histogram.js';
import { HTTP_DURATION_BUCKETS, METRIC, METRIC_PREFIX, UNMATCHED_ROUTE } from './metrics.constants.js';
import { registerSourceMetrics } from './source.metrics.js';
import { registerWarmupMetrics } from './warmup.metrics.js';

/**
 * The application's Prometheus registry: a registry of its own (not prom-client's global one), so
 * several applications in one process (tests) never share or collide on metrics.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  private readonly httpDuration: HttpDurationHistogram;

  constructor(
    cache: HybridCacheService,
    warmup: WarmupService,
    private readonly adapterHost: HttpAdapterHost,
    // Absent in applications built without the database module (the operations tests).
    @Optional() @Inject(DatabaseService) database: DatabaseService | null = null,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    registerCacheMetrics(this.registry, () => cache.stats());
    registerWarmupMetrics(this.registry, () => warmup.status());
    if (database) registerSourceMetrics(this.registry, () => [database.sourceStats()]);
    this.httpDuration = new HttpDurationHistogram(
      {
        name: METRIC.httpDuration,
        help: 'HTTP request duration by method, route pattern and status',
        registers: [this.registry],
      },
      HTTP_DURATION_BUCKETS,
    );
  }

  /**
   * Times every response with a Fastify hook, so requests that never reach a controller (404s,
   * 401s and 429s from guards, body-size errors) are measured too. The route label is the route's
   * pattern (`/videos/:id`), never the URL, so the number of series stays bounded.
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    const httpDuration = this.httpDuration;
    fastify.addHook('onResponse', (request, reply, done) => {
      httpDuration.record(
        request.method,
        request.routeOptions.url ?? UNMATCHED_ROUTE,
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
      done();
    });
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
