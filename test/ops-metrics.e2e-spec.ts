import { jest } from '@jest/globals';
import { Controller, Get, Injectable, Logger, Param } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Cacheable, HybridCacheService } from '../src/cache/index.js';
import { ReadinessState } from '../src/health/readiness-state.js';
import { CacheAlertMonitor } from '../src/metrics/cache-alert.monitor.js';
import { WarmupTask } from '../src/warmup/warmup-task.decorator.js';
import type { WarmupItem } from '../src/warmup/warmup.types.js';
import { waitFor } from './fixtures/deferred.js';
import { untilHeard } from './fixtures/http.js';
import { closeAll, createOpsApp } from './fixtures/ops-app.js';
import { metricTypes, parseMetrics, sampleValue, type PromSample } from './fixtures/prometheus.js';
import {
  deletePrefix,
  rawClient,
  TEST_REDIS_URL,
  UNHURRIED_L2_TIMEOUT_MS,
  uniquePrefix,
} from './fixtures/redis.js';

@Injectable()
class ThingsService {
  failNext = false;

  @Cacheable({ namespace: 'thing', key: (id: string) => ['thing', id] })
  async find(id: string): Promise<{ id: string }> {
    await new Promise((resolve) => setTimeout(resolve, 3));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('source down');
    }
    return { id };
  }
}

@Injectable()
class ThingsWarmup {
  constructor(private readonly things: ThingsService) {}

  @WarmupTask({ name: 'things' })
  list(): WarmupItem[] {
    return [{ name: 'w1', warm: () => this.things.find('w1') }];
  }
}

@Controller('things')
class ThingsController {
  constructor(private readonly things: ThingsService) {}

  @Get(':id')
  find(@Param('id') id: string) {
    return this.things.find(id);
  }
}

const cache = (prefix: string) => ({
  prefix,
  redisUrl: TEST_REDIS_URL,
  policies: { thing: { jitter: 0, earlyRefresh: 0 } },
  l2: { timeoutMs: UNHURRIED_L2_TIMEOUT_MS },
});

const scrape = async (app: NestFastifyApplication) => {
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  return {
    text: response.body,
    type: response.headers['content-type'],
    samples: parseMetrics(response.body),
  };
};

const requests = (samples: PromSample[], tier: string, result: string) =>
  sampleValue(samples, 'vidcache_cache_requests_total', { namespace: 'thing', tier, result });

describe('GET /metrics', () => {
  const redis = rawClient();
  const prefix = uniquePrefix('metrics');
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;

  beforeAll(async () => {
    const boot = () =>
      createOpsApp({
        cache: cache(prefix),
        providers: [ThingsService, ThingsWarmup],
        controllers: [ThingsController],
      });
    [a, b] = await Promise.all([boot(), boot()]);
    await Promise.all([a, b].map((app) => app.get(ReadinessState).whenWarmupSettled()));
  });
  afterAll(async () => {
    await closeAll(a, b);
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('is Prometheus text with every metric the README names, and the process metrics, all prefixed', async () => {
    const { text, type } = await scrape(a);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    const types = metricTypes(text);
    expect(
      Object.fromEntries(
        [...types].filter(([name]) => !name.includes('nodejs') && !name.includes('process')),
      ),
    ).toMatchObject({
      vidcache_cache_requests_total: 'counter',
      vidcache_cache_loads_total: 'counter',
      vidcache_cache_load_duration_seconds: 'histogram',
      vidcache_cache_l2_errors_total: 'counter',
      vidcache_cache_l1_bytes: 'gauge',
      vidcache_cache_l1_entries: 'gauge',
      vidcache_warmup_runs_total: 'counter',
      vidcache_http_request_duration_seconds: 'histogram',
      vidcache_cache_stale_age_seconds: 'histogram',
      vidcache_cache_bus_eviction_delay_seconds: 'histogram',
      vidcache_cache_source_time_saved_seconds_total: 'counter',
      vidcache_cache_bytes_total: 'counter',
      vidcache_cache_bus_malformed_total: 'counter',
    });
    expect(types.get('vidcache_process_cpu_user_seconds_total')).toBe('counter');
    expect(types.get('vidcache_nodejs_heap_size_used_bytes')).toBe('gauge');
    for (const name of types.keys()) expect(name).toMatch(/^vidcache_/);
  });

  it('counts reads by tier and result from the cache’s own counters', async () => {
    const things = a.get(ThingsService);
    const before = (await scrape(a)).samples;
    await untilHeard(a); // a deaf replica serves no L1 (see fixtures/http.ts)
    await things.find('m1'); // miss, loaded
    await things.find('m1'); // L1 hit
    await things.find('m1'); // L1 hit
    await b.get(ThingsService).find('m2'); // B stores it in L2...
    await things.find('m2'); // ...so A finds it there

    const after = (await scrape(a)).samples;
    const delta = (tier: string, result: string) =>
      (requests(after, tier, result) ?? 0) - (requests(before, tier, result) ?? 0);
    expect(delta('none', 'miss')).toBe(1);
    expect(delta('l1', 'hit')).toBe(2);
    expect(delta('l2', 'hit')).toBe(1);
    expect(delta('none', 'stale')).toBe(0);

    const stats = a.get(HybridCacheService).stats().namespaces.thing!;
    expect(requests(after, 'l1', 'hit')).toBe(stats.l1.hits);
    expect(requests(after, 'l2', 'hit')).toBe(stats.l2.hits);
    expect(requests(after, 'none', 'miss')).toBe(stats.l2.misses);
    expect(sampleValue(after, 'vidcache_cache_loads_total', { namespace: 'thing', result: 'success' })).toBe(
      stats.loads,
    );
  });

  it('counts load errors, and never lowers a counter', async () => {
    const things = a.get(ThingsService);
    things.failNext = true;
    await expect(things.find('boom')).rejects.toThrow('source down');
    const first = (await scrape(a)).samples;
    expect(sampleValue(first, 'vidcache_cache_loads_total', { namespace: 'thing', result: 'error' })).toBe(1);
    const second = (await scrape(a)).samples;
    for (const sample of first.filter((s) => s.name.endsWith('_total'))) {
      expect(sampleValue(second, sample.name, sample.labels)).toBeGreaterThanOrEqual(sample.value);
    }
  });

  it('measures on B the delay of an eviction A published, and exports it as the stats count it', async () => {
    await a.get(ThingsService).find('d1');
    await b.get(ThingsService).find('d1');
    const before = b.get(HybridCacheService).stats().evictionDelays.count;

    await a.get(HybridCacheService).delete('thing', ['thing', 'd1']);
    await waitFor(() => b.get(HybridCacheService).stats().evictionDelays.count > before, 5_000);

    const { samples } = await scrape(b);
    const delays = b.get(HybridCacheService).stats().evictionDelays;
    expect(sampleValue(samples, 'vidcache_cache_bus_eviction_delay_seconds_count')).toBe(delays.count);
    expect(sampleValue(samples, 'vidcache_cache_bus_eviction_delay_seconds_sum')).toBeCloseTo(delays.sum, 9);
    // A replica does not measure its own messages.
    expect(a.get(HybridCacheService).stats().evictionDelays.count).toBe(0);
  });

  it('exports the bytes hits served beside those loaded, and the source time hits saved, per namespace', async () => {
    const things = a.get(ThingsService);
    await things.find('s1');
    await things.find('s1');

    const { samples } = await scrape(a);
    const stats = a.get(HybridCacheService).stats().namespaces.thing!;
    expect(stats.hitBytes).toBeGreaterThan(0);
    expect(sampleValue(samples, 'vidcache_cache_bytes_total', { namespace: 'thing', result: 'hit' })).toBe(
      stats.hitBytes,
    );
    expect(sampleValue(samples, 'vidcache_cache_bytes_total', { namespace: 'thing', result: 'miss' })).toBe(
      stats.missBytes,
    );
    // Loads take at least 3 ms here, so the last hit alone saved at least that.
    expect(stats.sourceTimeSavedMs).toBeGreaterThanOrEqual(3);
    expect(
      sampleValue(samples, 'vidcache_cache_source_time_saved_seconds_total', { namespace: 'thing' }),
    ).toBeCloseTo(stats.sourceTimeSavedMs / 1000, 6);
  });

  it('exports the cache’s load-duration buckets exactly as the cache counted them', async () => {
    const { samples } = await scrape(a);
    const durations = a.get(HybridCacheService).stats().loadDurations;
    const buckets = samples.filter((s) => s.name === 'vidcache_cache_load_duration_seconds_bucket');
    expect(buckets.map((s) => s.labels.le)).toEqual([...durations.buckets.map(String), '+Inf']);
    let cumulative = 0;
    durations.buckets.forEach((_bound, i) => {
      cumulative += durations.counts[i]!;
      expect(buckets[i]!.value).toBe(cumulative);
    });
    expect(buckets.at(-1)!.value).toBe(durations.count);
    expect(sampleValue(samples, 'vidcache_cache_load_duration_seconds_count')).toBe(durations.count);
    expect(sampleValue(samples, 'vidcache_cache_load_duration_seconds_sum')).toBeCloseTo(durations.sum, 9);
    expect(durations.count).toBeGreaterThan(0);
  });

  it('reports L1 usage, L2 state and warm-up runs', async () => {
    const { samples } = await scrape(a);
    const stats = a.get(HybridCacheService).stats();
    expect(sampleValue(samples, 'vidcache_cache_l1_entries')).toBe(stats.l1.entries);
    expect(sampleValue(samples, 'vidcache_cache_l1_max_bytes')).toBe(stats.l1.maxBytes);
    expect(sampleValue(samples, 'vidcache_cache_l1_bytes')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'vidcache_cache_l2_status', { status: 'up' })).toBe(1);
    expect(sampleValue(samples, 'vidcache_cache_l2_status', { status: 'down' })).toBe(0);
    const runs = ['success', 'skipped'].map((result) =>
      sampleValue(samples, 'vidcache_warmup_runs_total', { result }),
    );
    expect(runs.reduce((x, y) => x! + y!, 0)).toBe(1);
  });

  it('times HTTP requests by route pattern (never the raw URL) and status', async () => {
    for (const id of ['r1', 'r2', 'r3']) await a.inject({ method: 'GET', url: `/things/${id}` });
    await a.inject({ method: 'GET', url: '/no/such/route/123' });

    const { samples } = await scrape(a);
    const count = (labels: Record<string, string>) =>
      sampleValue(samples, 'vidcache_http_request_duration_seconds_count', labels);
    expect(count({ method: 'GET', route: '/things/:id', status: '200' })).toBe(3);
    expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    const routes = new Set(
      samples
        .filter((s) => s.name.startsWith('vidcache_http_request_duration_seconds'))
        .map((s) => s.labels.route),
    );
    for (const route of routes) expect(route).not.toMatch(/r1|r2|r3|123/);
  });

  it('keeps each application’s metrics to itself (one registry per app)', async () => {
    const before = requests((await scrape(b)).samples, 'l1', 'hit') ?? 0;
    for (let i = 0; i < 5; i++) await a.get(ThingsService).find('m1');
    expect(requests((await scrape(b)).samples, 'l1', 'hit') ?? 0).toBe(before);
  });

  it('the alert check logs every raised alert as a warning', async () => {
    const warnings: string[] = [];
    const monitor = a.get(CacheAlertMonitor);
    const logger = (monitor as unknown as { logger: Logger }).logger;
    const spy = jest.spyOn(logger, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    const cacheA = a.get(HybridCacheService);
    const original = cacheA.stats.bind(cacheA);
    // A replica whose requests mostly miss: 120 hits in 1,000 requests.
    const statsSpy = jest.spyOn(cacheA, 'stats').mockImplementation(() => {
      const stats = original();
      return { ...stats, overall: { ...stats.overall, requests: 1_000, hits: 120, hitRate: 0.12 } };
    });
    try {
      expect(monitor.check()).toEqual(['hit rate 12.0% is under 80%']);
      expect(warnings).toEqual(['Cache alert: hit rate 12.0% is under 80%']);
      const { samples } = await scrape(a);
      expect(sampleValue(samples, 'vidcache_cache_alerts')).toBe(1);
    } finally {
      spy.mockRestore();
      statsSpy.mockRestore();
    }
  });
});
