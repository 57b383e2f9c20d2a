import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from './fixtures/app.js';
import { waitFor } from './fixtures/deferred.js';
import { promqlMetricNames } from './fixtures/prometheus.js';
import { PrometheusServer } from './fixtures/prometheus-server.js';

/* A real Prometheus scrapes a running replica and evaluates every query of the Grafana dashboard
 * and every alert expression: none may fail, and none may name a metric the replica does not export
 * (a typo in a dashboard or a rule otherwise shows as an empty panel or an alert that never fires). */

const ROOT = new URL('../', import.meta.url);
const RULES_PATH = fileURLToPath(new URL('deploy/prometheus/vidcache.rules.yml', ROOT));
const DASHBOARD_PATH = fileURLToPath(new URL('deploy/grafana/vidcache-dashboard.json', ROOT));
const JOB = 'vidcache';
const POD = 'vidcache-test-0';

/*
 * vidcache_source_breaker_state (0 closed, 1 half-open, 2 open) belongs to the database module's
 * source breaker, which does not export it yet; VidcacheSourceBreakerOpen is written and
 * unit-tested on synthetic series already. Remove the name from this list once /metrics has it.
 */
const NOT_EXPORTED_YET = new Set(['vidcache_source_breaker_state']);

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating?: { list: { name: string; query?: { query: string } | string; definition?: string }[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
const alertRules = (
  load(readFileSync(RULES_PATH, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }
).groups.flatMap((group) => group.rules);

/** Every panel's queries, rows' nested panels included. */
function dashboardQueries(panels: readonly Panel[]): { title: string; expr: string }[] {
  return panels.flatMap((panel) => [
    ...(panel.targets ?? []).flatMap((t) => (t.expr ? [{ title: panel.title ?? '', expr: t.expr }] : [])),
    ...dashboardQueries(panel.panels ?? []),
  ]);
}

/**
 * A Grafana query as Prometheus would receive it: interval variables become durations, and
 * template variables (only allowed in regex matchers, where "All" is `.*`) match everything. Any `$`
 * left over is a variable this function does not know, and the caller fails on it.
 */
function grafanaToPromql(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$__range', '5m')
    .replace(/=~"([^"]*)"/g, (_, value: string) => `=~"${value.replace(/\$\{\w+(?::\w+)?\}|\$\w+/g, '.*')}"`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a real Prometheus scraping one replica', () => {
  let replica: TestApp | undefined;
  let prometheus: PrometheusServer | undefined;
  let exported: Set<string>;

  /** Evaluates each query; the ones that fail or name metrics that are not exported. */
  async function evaluate(queries: { name: string; expr: string }[]) {
    const failures: { name: string; expr: string; error: string | undefined }[] = [];
    const unknown: { name: string; metric: string }[] = [];
    for (const { name, expr } of queries) {
      const response = await prometheus!.query(expr);
      if (response.status !== 'success') failures.push({ name, expr, error: response.error });
      const metrics = promqlMetricNames(expr);
      if (metrics.length === 0) failures.push({ name, expr, error: 'names no metric' });
      for (const metric of metrics) {
        if (!exported.has(metric) && !NOT_EXPORTED_YET.has(metric)) unknown.push({ name, metric });
      }
    }
    return { failures, unknown };
  }

  beforeAll(async () => {
    // On the PostgreSQL server: a fresh database seeds in a moment, the embedded one takes half a minute.
    replica = await createTestApp({ database: 'postgres' });
    await replica.app.listen(0, '127.0.0.1');
    const { port } = replica.app.getHttpServer().address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;

    // Traffic before the first scrape, so that labelled series exist: misses then hits through
    // the cache, HTTP timings, and a warm-up run (its last-run gauges appear only after one).
    const send = async (path: string, init?: RequestInit) => {
      const response = await fetch(base + path, init);
      if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    };
    for (const path of ['/videos/popular', '/videos/popular', '/videos/vid_000001', '/videos/vid_000001']) {
      await send(path);
    }
    await send('/admin/cache/warmup', {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });

    prometheus = new PrometheusServer({
      job: JOB,
      targets: [`127.0.0.1:${port}`],
      targetLabels: { pod: POD },
      ruleFiles: [RULES_PATH],
    });
    await prometheus.start();

    // rate() needs two samples of a series and the rules an evaluation after them: wait for three
    // scrapes, then for every rule to have been evaluated since.
    await waitFor(async () => {
      await sleep(200);
      const response = await prometheus!.query(`count_over_time(up{job="${JOB}"}[1m]) >= 3`);
      return response.status === 'success' && response.data.result.length === 1;
    }, 60_000);
    const scraped = Date.now() / 1000;
    await waitFor(async () => {
      await sleep(200);
      const rules = await prometheus!.api<{ groups: { rules: { lastEvaluation: string }[] }[] }>(
        '/api/v1/rules',
      );
      const evaluations = rules.data.groups.flatMap((group) =>
        group.rules.map((rule) => rule.lastEvaluation),
      );
      return (
        evaluations.length === alertRules.length && evaluations.every((at) => Date.parse(at) / 1000 > scraped)
      );
    }, 60_000);
    exported = new Set(await prometheus.labelValues('__name__'));
  }, 180_000);

  afterAll(async () => {
    await prometheus?.stop();
    await replica?.close();
  });

  it('scrapes the replica', async () => {
    const response = await prometheus!.query(`up{job="${JOB}",pod="${POD}"}`);

    expect(response.status).toBe('success');
    expect(response.data.result).toEqual([expect.objectContaining({ value: [expect.any(Number), '1'] })]);
    // The cache's, the warm-up's, the HTTP and the process metrics all made it.
    for (const name of [
      'vidcache_cache_requests_total',
      'vidcache_cache_load_duration_seconds_bucket',
      'vidcache_warmup_last_duration_seconds',
      'vidcache_http_request_duration_seconds_count',
      'vidcache_process_resident_memory_bytes',
    ]) {
      expect([name, exported.has(name)]).toEqual([name, true]);
    }
  });

  it('finds the metric names of a PromQL expression, and only those', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{job=~"x|y", le!="1"}[5m] offset 1h)))' +
          ' / on (pod) group_left (namespace) b_total > 1e3 and ignoring (status) c{status="up"} == bool 0x1f',
      ).sort(),
    ).toEqual(['a_bucket', 'b_total', 'c']);
    expect(promqlMetricNames('label_replace(up, "dst", "$1", "src", "(.*)") or vector(1)')).toEqual(['up']);
  });

  it('catches a query Prometheus refuses and a metric the replica does not export', async () => {
    const { failures, unknown } = await evaluate([
      { name: 'unbalanced', expr: 'sum(rate(vidcache_cache_requests_total[1m])' },
      { name: 'typo', expr: 'sum(rate(vidcache_cache_request_total[1m]))' },
    ]);

    expect(failures).toEqual([expect.objectContaining({ name: 'unbalanced', error: expect.any(String) })]);
    expect(unknown).toEqual([{ name: 'typo', metric: 'vidcache_cache_request_total' }]);
  });

  it('evaluates every query of the Grafana dashboard, each naming only exported metrics', async () => {
    const queries = dashboardQueries(dashboard.panels).map(({ title, expr }) => ({
      name: title,
      expr: grafanaToPromql(expr),
    }));
    expect(queries.length).toBeGreaterThanOrEqual(20);
    expect(queries.filter(({ expr }) => expr.includes('$'))).toEqual([]);

    const { failures, unknown } = await evaluate(queries);

    expect(failures).toEqual([]);
    expect(unknown).toEqual([]);
  });

  it('resolves the dashboard’s template variables', async () => {
    const variables = dashboard.templating?.list ?? [];
    expect(variables.length).toBeGreaterThan(0);
    for (const variable of variables) {
      const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
      const [, metric, label] = /^label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*(\w+)\s*\)$/.exec(query) ?? [];
      expect([variable.name, metric !== undefined]).toEqual([variable.name, true]);

      expect(await prometheus!.labelValues(label!, [metric!])).toContain(JOB);
    }
  });

  it('evaluates every alert expression, each naming only exported metrics', async () => {
    const queries = alertRules.map((rule) => ({ name: rule.alert, expr: rule.expr }));

    const { failures, unknown } = await evaluate(queries);

    expect(failures).toEqual([]);
    expect(unknown).toEqual([]);
    // The allowance is for names an alert uses and the replica does not export yet, nothing else.
    const used = new Set(queries.flatMap(({ expr }) => promqlMetricNames(expr)));
    for (const name of NOT_EXPORTED_YET) expect([name, used.has(name)]).toEqual([name, true]);
  });

  it('loads the rule file and evaluates every rule without error', async () => {
    const response = await prometheus!.api<{
      groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
    }>('/api/v1/rules');

    const loaded = response.data.groups.flatMap((group) => group.rules);
    expect(loaded.map((rule) => rule.name).sort()).toEqual(alertRules.map((rule) => rule.alert).sort());
    expect(loaded.filter((rule) => rule.health !== 'ok' || rule.lastError)).toEqual([]);
  });
});
