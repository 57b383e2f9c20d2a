import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DatabaseService } from '../src/database/database.service.js';
import { HybridCacheService } from '../src/cache/index.js';
import { waitFor } from './fixtures/deferred.js';
import { driverCalls, startBehindProxy, type ProxiedDatabaseApp } from './fixtures/proxied-database.js';
import type { TcpProxy } from './fixtures/tcp-proxy.js';

// The cache's side of a database outage: `video` entries go stale 1.5 s after they are stored and
// stay servable for 10 minutes (grace). While PostgreSQL stalls, a read of a stale entry answers
// the stale value after the soft timeout (100 ms by default) instead of waiting for the hard bound;
// while it refuses, at once; and once a key's load failed, the source is not tried again for it
// during the fail-safe throttle. Margins are generous for a loaded 2-core machine.
const POLICIES = JSON.stringify({
  video: { l1TtlMs: 1_500, l2TtlMs: 1_500, graceMs: 600_000, jitter: 0, earlyRefresh: 0 },
});
const STALE_WITHIN_MS = 1_500;

describe('stale answers while PostgreSQL misbehaves', () => {
  let rig: ProxiedDatabaseApp;
  let app: NestFastifyApplication;
  let proxy: TcpProxy;

  const read = async (id: string) => {
    const started = performance.now();
    const response = await app.inject({ method: 'GET', url: `/videos/${id}` });
    return { response, ms: performance.now() - started };
  };
  const ready = () => rig.ready();
  const expired = () => new Promise((resolve) => setTimeout(resolve, 1_700));

  beforeAll(async () => {
    rig = await startBehindProxy({ CACHE_POLICIES: POLICIES, WARMUP_ON_BOOT: 'false' });
    ({ app, proxy } = rig);
  });
  afterEach(() => rig.restore());
  afterAll(() => rig?.close(), 120_000);

  it('stalled: an expired entry answers its stale value after the soft timeout, marked stale, not after the hard bound', async () => {
    const ids = ['vid_000101', 'vid_000102', 'vid_000103'];
    const fresh = new Map<string, unknown>();
    for (const id of ids) fresh.set(id, (await read(id)).response.json());
    await expired();

    proxy.stall();
    const answers = await Promise.all(ids.map((id) => read(id)));
    for (const [i, { response, ms }] of answers.entries()) {
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-status']).toBe('vidcache; hit; detail=stale');
      expect(response.json()).toEqual(fresh.get(ids[i]!));
      expect(ms).toBeLessThan(STALE_WITHIN_MS);
    }
    const stale = app.get(HybridCacheService).stats().namespaces.video!.staleByReason;
    expect(stale.timeout).toBeGreaterThanOrEqual(ids.length);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/vidcache_cache_stale_total\{namespace="video",reason="timeout"\} [1-9]/);
    console.log(
      `stalled PostgreSQL: stale answers in ${answers.map((a) => Math.round(a.ms)).join(', ')} ms ` +
        `(soft timeout 100 ms, hard bound 5000 ms)`,
    );
  });

  it('refusing: stale at once, an uncached read 503s, and the throttle keeps the source nearly untouched', async () => {
    const ids = ['vid_000111', 'vid_000112', 'vid_000113', 'vid_000114'];
    for (const id of ids) expect((await read(id)).response.statusCode).toBe(200);
    await expired();
    const stats = () => app.get(DatabaseService).sourceStats();
    const callsBefore = driverCalls(stats());

    await proxy.refuse();
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const until = performance.now() + 10_000;
    while (performance.now() < until) {
      for (const id of ids) {
        const { response, ms } = await read(id);
        latencies.push(ms);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.headers['cache-status']).toBe('vidcache; hit; detail=stale');
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const uncached = await read('vid_000199');
    expect(uncached.response.statusCode).toBe(503);
    expect(uncached.response.headers['retry-after']).toMatch(/^[1-9]\d*$/);

    const sourceCalls = driverCalls(stats()) - callsBefore;
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)]!;
    expect([...statuses.keys()]).toEqual([200]);
    expect(median).toBeLessThan(50);
    // A 10 s outage under steady load: the breaker opens after a few failures and probes once per
    // cool-down; the throttle keeps each stale key off the source meanwhile.
    expect(sourceCalls).toBeLessThan(20);
    console.log(
      `refusing PostgreSQL for 10 s: ${latencies.length} reads of stale entries, all 200 stale, median ` +
        `${median.toFixed(1)} ms, slowest ${latencies.at(-1)!.toFixed(1)} ms; ${sourceCalls} database calls; ` +
        `uncached read 503 in ${Math.round(uncached.ms)} ms`,
    );

    const restored = performance.now();
    await proxy.restore();
    await waitFor(async () => (await ready()) === 200, 15_000);
    // Once the database is back, the next read past the throttle loads a fresh value again.
    await waitFor(
      async () => (await read(ids[0]!)).response.headers['cache-status'] !== 'vidcache; hit; detail=stale',
      15_000,
    );
    console.log(
      `refusing PostgreSQL: fresh values again ${Math.round(performance.now() - restored)} ms after restore`,
    );
  });
});
