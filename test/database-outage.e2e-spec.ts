import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { DatabaseService } from '../src/database/database.service.js';
import type { TestApp } from './fixtures/app.js';
import type { TestDatabase } from './fixtures/database.js';
import { waitFor } from './fixtures/deferred.js';
import { parseMetrics, sampleValue } from './fixtures/prometheus.js';
import { driverCalls, startBehindProxy, type ProxiedDatabaseApp } from './fixtures/proxied-database.js';
import type { TcpProxy } from './fixtures/tcp-proxy.js';

// PostgreSQL stalled, refusing and killing connections, behind a TCP proxy the test controls, with
// the service's default bounds: a 5 s hard bound per database call, 3 outages to open the circuit,
// a 2 s cool-down between probes.
//
// Time limits in the assertions are the documented bound plus a margin for a loaded 2-core machine
// (timers there fire late by hundreds of ms, and one request makes more than one call to Redis and
// the database): "within the 5 s bound" is asserted as under 6.5 s, "at once" as under 1.5 s.
const HARD_BOUND_MS = 5_000;
const BOUND_WITH_MARGIN_MS = HARD_BOUND_MS + 1_500;
const AT_ONCE_MS = 1_500;

interface Timed {
  response: LightMyRequestResponse;
  ms: number;
}

async function timed(
  app: NestFastifyApplication,
  request: Parameters<NestFastifyApplication['inject']>[0],
): Promise<Timed> {
  const started = performance.now();
  const response = await app.inject(request as never);
  return { response, ms: performance.now() - started };
}

/** A 503 that says the database is unavailable, with a Retry-After in whole seconds. */
function expectDatabaseUnavailable({ response }: Timed): void {
  expect({ status: response.statusCode, body: response.json() as unknown }).toMatchObject({
    status: 503,
    body: { statusCode: 503, message: expect.stringContaining('database is unavailable') as unknown },
  });
  expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
}

/** What the database holds, read directly (not through the proxy). */
class Inspector {
  private readonly client: pg.Client;

  constructor(url: string) {
    this.client = new pg.Client({ connectionString: url });
  }

  connect = () => this.client.connect();
  end = () => this.client.end();

  async video(id: string): Promise<{ title: string } | undefined> {
    const { rows } = await this.client.query<{ title: string }>('select title from videos where id = $1', [
      id,
    ]);
    return rows[0];
  }

  async count(table: 'videos' | 'users' | 'events'): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>(`select count(*)::int as n from ${table}`);
    return rows[0]!.n;
  }

  async usersWithEmail(email: string): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>(
      'select count(*)::int as n from users where lower(email) = lower($1)',
      [email],
    );
    return rows[0]!.n;
  }

  /** Kills every connection the service holds to this database, as an operator or a failover would. */
  async terminateServiceConnections(database: string): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where datname = $1 and application_name = 'vidcache' and pid <> pg_backend_pid()`,
      [database],
    );
    return rows[0]!.n;
  }
}

describe('PostgreSQL misbehaving behind the service', () => {
  let rig: ProxiedDatabaseApp;
  let database: TestDatabase;
  let proxy: TcpProxy;
  let app: NestFastifyApplication;
  let inspect: Inspector;
  const statuses: number[] = [];

  const request = async (req: Parameters<NestFastifyApplication['inject']>[0]) => {
    const result = await timed(app, req);
    statuses.push(result.response.statusCode);
    return result;
  };
  const ready = () => rig.ready();
  const live = async () => (await app.inject({ method: 'GET', url: '/health/live' })).statusCode;
  const guardStats = () => app.get(DatabaseService).sourceStats();

  beforeAll(async () => {
    rig = await startBehindProxy();
    ({ database, proxy, app } = rig);
    inspect = new Inspector(database.url);
    await inspect.connect();
  });

  // Every test leaves the database reachable and the circuit closed, whatever it asserted.
  afterEach(() => rig.restore());

  afterAll(async () => {
    await inspect?.end();
    await rig?.close();
  }, 120_000);

  it('stalled: uncached reads and writes get 503 + Retry-After within the hard bound, then at once; nothing is written; readiness follows', async () => {
    const before = await inspect.video('vid_000020');
    expect(before).toBeDefined();
    const usersBefore = await inspect.count('users');

    proxy.stall();
    // The first wave meets the stalled database: each call runs into the hard bound.
    const wave = await Promise.all([
      request({ method: 'GET', url: '/videos/vid_000011' }),
      request({ method: 'GET', url: '/videos/vid_000012' }),
      request({ method: 'GET', url: '/users/usr_000003' }),
      request({ method: 'PATCH', url: '/videos/vid_000020', payload: { title: 'written while stalled' } }),
      request({ method: 'POST', url: '/users', payload: { name: 'Stall', email: 'stall@example.com' } }),
    ]);
    for (const result of wave) {
      expectDatabaseUnavailable(result);
      expect(result.ms).toBeLessThan(BOUND_WITH_MARGIN_MS);
    }
    // Five outages in a row: the circuit is open, and the next uncached read fails at once.
    expect(guardStats().circuit).not.toBe('closed');
    const fast = await request({ method: 'GET', url: '/videos/vid_000013' });
    expectDatabaseUnavailable(fast);
    expect(fast.ms).toBeLessThan(AT_ONCE_MS);
    const fastWrite = await request({ method: 'DELETE', url: '/videos/vid_000020' });
    expectDatabaseUnavailable(fastWrite);
    expect(fastWrite.ms).toBeLessThan(AT_ONCE_MS);

    expect(await ready()).toBe(503);
    expect(await live()).toBe(200);

    const restored = performance.now();
    await proxy.restore();
    const recoveryMs = await waitFor(async () => (await ready()) === 200, 15_000);
    const read = await request({ method: 'GET', url: '/videos/vid_000013' });
    expect(read.response.statusCode).toBe(200);

    // Nothing a refused write touched has changed, even after the stalled bytes could flow again.
    expect(await inspect.video('vid_000020')).toEqual(before);
    expect(await inspect.usersWithEmail('stall@example.com')).toBe(0);
    expect(await inspect.count('users')).toBe(usersBefore);

    console.log(
      `stalled PostgreSQL: time to 503 for uncached reads while the circuit was closed ` +
        `${wave
          .slice(0, 3)
          .map((r) => Math.round(r.ms))
          .join(', ')} ms, writes ${Math.round(wave[3]!.ms)}/${Math.round(wave[4]!.ms)} ms; ` +
        `with the circuit open ${Math.round(fast.ms)} ms (read), ${Math.round(fastWrite.ms)} ms (write); ` +
        `ready again ${Math.round(recoveryMs)} ms after restore (first read 200 at ` +
        `${Math.round(performance.now() - restored)} ms)`,
    );
  });

  it('refusing: 503 at once for reads and writes; a 10 s outage under steady load sends only a handful of queries; recovers alone', async () => {
    const titleBefore = await inspect.video('vid_000021');
    const counts = { videos: await inspect.count('videos'), events: await inspect.count('events') };
    const calls = driverCalls(guardStats());

    await proxy.refuse();
    const first = await request({ method: 'GET', url: '/videos/vid_000030' });
    expectDatabaseUnavailable(first);
    expect(first.ms).toBeLessThan(AT_ONCE_MS);

    const writes = await Promise.all([
      request({
        method: 'POST',
        url: '/videos',
        payload: { userId: 'usr_000001', title: 'refused', category: 'music' },
      }),
      request({ method: 'PATCH', url: '/videos/vid_000021', payload: { title: 'refused' } }),
      request({ method: 'DELETE', url: '/videos/vid_000022' }),
      request({
        method: 'POST',
        url: '/events',
        payload: { type: 'view', videoId: 'vid_000001', userId: 'usr_000001' },
      }),
    ]);
    for (const result of writes) {
      expectDatabaseUnavailable(result);
      expect(result.ms).toBeLessThan(AT_ONCE_MS);
    }
    expect(await ready()).toBe(503);
    expect(await live()).toBe(200);

    // Steady load for 10 s: 20 uncached reads a second, every one of a different id that no test
    // has read (ids past the seed's: only the database can say whether they exist).
    const outageStarted = performance.now();
    const loadResults: Timed[] = [];
    let next = 900_000;
    while (performance.now() - outageStarted < 10_000) {
      const batch = Array.from({ length: 4 }, () => request({ method: 'GET', url: `/videos/vid_${next++}` }));
      loadResults.push(...(await Promise.all(batch)));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const result of loadResults) expectDatabaseUnavailable(result);
    const slowest = Math.max(...loadResults.map((r) => r.ms));
    expect(slowest).toBeLessThan(AT_ONCE_MS);
    const queries = driverCalls(guardStats()) - calls;
    // Outages until the circuit opened (3), then one probe per 2 s cool-down: about 8 in all.
    expect(queries).toBeLessThanOrEqual(12);

    const restored = performance.now();
    await proxy.restore();
    const recoveryMs = await waitFor(async () => (await ready()) === 200, 15_000);
    // Within a cool-down and a probe of the database coming back.
    expect(recoveryMs).toBeLessThan(2_000 + 3_000);
    const read = await request({ method: 'GET', url: '/videos/vid_000030' });
    expect(read.response.statusCode).toBe(200);

    expect(await inspect.video('vid_000021')).toEqual(titleBefore);
    expect(await inspect.video('vid_000022')).toBeDefined();
    expect(await inspect.count('videos')).toBe(counts.videos);
    expect(await inspect.count('events')).toBe(counts.events);

    console.log(
      `refusing PostgreSQL: first uncached read 503 in ${Math.round(first.ms)} ms, writes in ` +
        `${writes.map((r) => Math.round(r.ms)).join('/')} ms; over ${Math.round(performance.now() - outageStarted - (performance.now() - restored))} ms of steady load ` +
        `(${loadResults.length} uncached reads, slowest 503 ${Math.round(slowest)} ms) the driver was called ${queries} times ` +
        `(${driverCalls(guardStats()) - calls} with the recovery probe); ready again ${Math.round(recoveryMs)} ms after restore`,
    );
  });

  it('pg_terminate_backend mid-traffic: requests get 200 or 503, never 500, and the service recovers alone', async () => {
    const seen: number[] = [];
    const traffic = { stop: false };
    let n = 0;
    const worker = async () => {
      while (!traffic.stop) {
        const id = String((n++ % 200) + 1).padStart(6, '0');
        const { response } = await request(
          n % 4 === 0
            ? { method: 'PATCH', url: `/videos/vid_${id}`, payload: { title: `title ${n}` } }
            : {
                method: 'GET',
                url: `/users/usr_${String((n % 10) + 1).padStart(6, '0')}/videos?page=${(n % 5) + 1}&perPage=3`,
              },
        );
        seen.push(response.statusCode);
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    let killed = 0;
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      killed += await inspect.terminateServiceConnections(database.name);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    traffic.stop = true;
    await Promise.all(workers);

    expect(killed).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    // The service recovers by itself: an uncached read succeeds again.
    await waitFor(
      async () => (await app.inject({ method: 'GET', url: '/videos/vid_000150' })).statusCode === 200,
      10_000,
    );

    const unavailable = seen.filter((status) => status === 503).length;
    console.log(
      `pg_terminate_backend: ${killed} connections killed in 3 rounds during ${seen.length} requests: ` +
        `${seen.length - unavailable} answered 200, ${unavailable} answered 503, none 500`,
    );
  });

  it('exports the outage in the metrics: timeouts, circuit state and transitions, bulkhead counters', async () => {
    const samples = parseMetrics((await app.inject({ method: 'GET', url: '/metrics' })).body);
    const source = { source: 'database' };
    expect(sampleValue(samples, 'vidcache_source_timeouts_total', source)).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(samples, 'vidcache_source_circuit_transitions_total', { ...source, to: 'open' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      sampleValue(samples, 'vidcache_source_circuit_transitions_total', { ...source, to: 'closed' }),
    ).toBeGreaterThanOrEqual(2);
    expect(sampleValue(samples, 'vidcache_source_circuit_state', { ...source, state: 'closed' })).toBe(1);
    expect(sampleValue(samples, 'vidcache_source_short_circuited_total', source)).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'vidcache_source_bulkhead_queue_length', source)).toBe(0);
    expect(
      sampleValue(samples, 'vidcache_source_bulkhead_rejections_total', { ...source, reason: 'full' }),
    ).toBe(0);
  });

  it('answered no request of this file with a 500', () => {
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses).not.toContain(500);
  });
});

describe('the database bulkhead', () => {
  let rig: ProxiedDatabaseApp;
  let proxy: TcpProxy;
  let service: TestApp;

  beforeAll(async () => {
    rig = await startBehindProxy({
      DATABASE_MAX_CONCURRENCY: '1',
      DATABASE_QUEUE_LIMIT: '1',
      DATABASE_QUEUE_TIMEOUT_MS: '300',
      DATABASE_QUERY_TIMEOUT_MS: '3000',
      DATABASE_BREAKER_THRESHOLD: '100',
    });
    ({ proxy, service } = rig);
  });

  afterAll(() => rig?.close());

  it('queues calls over its limit, and answers 503 fast when the queue is full or the wait too long', async () => {
    const { app } = service;
    proxy.stall();
    // One call holds the only slot (the database does not answer); one waits; one finds the queue full.
    const holder = timed(app, { method: 'GET', url: '/videos/vid_000001' });
    await waitFor(() => app.get(DatabaseService).sourceStats().bulkhead.active === 1, 5_000);
    const waiter = timed(app, { method: 'GET', url: '/videos/vid_000002' });
    await waitFor(() => app.get(DatabaseService).sourceStats().bulkhead.queued === 1, 5_000);
    const rejected = await timed(app, { method: 'GET', url: '/videos/vid_000003' });
    const waited = await waiter;

    expectDatabaseUnavailable(rejected);
    expect(rejected.response.json()).toMatchObject({
      message: expect.stringContaining('bulkhead-full') as unknown,
    });
    expect(rejected.ms).toBeLessThan(AT_ONCE_MS);
    expectDatabaseUnavailable(waited);
    expect(waited.response.json()).toMatchObject({
      message: expect.stringContaining('bulkhead-timeout') as unknown,
    });
    expect(waited.ms).toBeLessThan(AT_ONCE_MS);

    const samples = parseMetrics((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(
      sampleValue(samples, 'vidcache_source_bulkhead_rejections_total', {
        source: 'database',
        reason: 'full',
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, 'vidcache_source_bulkhead_rejections_total', {
        source: 'database',
        reason: 'timeout',
      }),
    ).toBe(1);

    await proxy.restore();
    // The held call was stalled past its own bound (3 s) or finished once the bytes flowed.
    const held = await holder;
    expect([200, 503]).toContain(held.response.statusCode);
    expect((await app.inject({ method: 'GET', url: '/videos/vid_000003' })).statusCode).toBe(200);
  });
});
