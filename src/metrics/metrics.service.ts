import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { HybridCacheService } from '../cache/index.js';
import { WarmupService } from '../warmup/warmup.service.js';
import { registerCacheMetrics } from './cache.metrics.js';
import { HTTP_DURATION_BUCKETS, METRIC, METRIC_PREFIX, UNMATCHED_ROUTE } from './metrics.constants.js';
import { registerWarmupMetrics } from './warmup.metrics.js';

/**
 * The application's Prometheus registry: a registry of its own (not prom-client's global one), so
 * several applications in one process (tests) never share or collide on metrics.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(
    cache: HybridCacheService,
    warmup: WarmupService,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    registerCacheMetrics(this.registry, () => cache.stats());
    registerWarmupMetrics(this.registry, () => warmup.status());
    this.httpDuration = new Histogram({
      name: METRIC.httpDuration,
      help: 'HTTP request duration by method, route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: HTTP_DURATION_BUCKETS,
      registers: [this.registry],
    });
  }

  /**
   * Times every response with a Fastify hook, so requests that never reach a controller (404s,
   * 401s and 429s from guards, body-size errors) are measured too. The route label is the route's
   * pattern (`/videos/:id`), never the URL, so the number of series stays bounded.
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('onResponse', (request, reply, done) => {
      this.httpDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? UNMATCHED_ROUTE,
          status: String(reply.statusCode),
        },
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
