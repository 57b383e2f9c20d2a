import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';

/* The alert rules under deploy/prometheus are checked and unit-tested by promtool (Debian's
 * `prometheus` package), on the synthetic series of vidcache.rules.test.yml. */

const DIR = fileURLToPath(new URL('../deploy/prometheus/', import.meta.url));
const RULES = 'vidcache.rules.yml';
const TESTS = 'vidcache.rules.test.yml';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTests {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const rules = (
  load(readFileSync(DIR + RULES, 'utf8')) as { groups: { rules: AlertRule[] }[] }
).groups.flatMap((group) => group.rules);
const ruleTests = load(readFileSync(DIR + TESTS, 'utf8')) as RuleTests;

/** Runs promtool in deploy/prometheus; its exit code and everything it printed. */
function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd: DIR, timeout: 60_000 }, (error, stdout, stderr) => {
      // Not installed is a failure of the test run, never a skip.
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        reject(new Error('promtool not found: install the prometheus package (apt-get install prometheus)'));
        return;
      }
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe('Prometheus alert rules', () => {
  it('cover what an operator of vidcache must hear about', () => {
    expect(rules.map((rule) => rule.alert).sort()).toEqual([
      'VidcacheBusDeaf',
      'VidcacheBusSilent',
      'VidcacheHitRateLow',
      'VidcacheL1EvictionRateHigh',
      'VidcacheL1MemoryHigh',
      'VidcacheL2CircuitOpen',
      'VidcacheL2LatencyHigh',
      'VidcachePendingEvictionsNotDraining',
      'VidcacheSourceBreakerOpen',
      'VidcacheWarmupFailing',
    ]);
  });

  it('each wait with `for`, carry a severity, and say what happened and what to do', () => {
    for (const rule of rules) {
      expect({ alert: rule.alert, for: rule.for }).toEqual({
        alert: rule.alert,
        for: expect.stringMatching(/^\d+[smh]$/),
      });
      expect([rule.alert, rule.labels?.severity]).toEqual([
        rule.alert,
        expect.stringMatching(/^(warning|critical)$/),
      ]);
      expect(rule.annotations?.summary?.length ?? 0).toBeGreaterThan(20);
      expect(rule.annotations?.description?.length ?? 0).toBeGreaterThan(100);
    }
  });

  it('each have unit tests that see it fire and see it stay quiet', () => {
    const cases = ruleTests.tests.flatMap((test) => test.alert_rule_test ?? []);
    expect(ruleTests.rule_files).toEqual([RULES]);
    for (const { alert } of rules) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect([alert, mine.some((c) => c.exp_alerts.length > 0)]).toEqual([alert, true]);
      expect([alert, mine.some((c) => c.exp_alerts.length === 0)]).toEqual([alert, true]);
    }
  });

  it('pass `promtool check rules`', async () => {
    const { code, output } = await promtool('check', 'rules', RULES);

    expect({ code, output }).toEqual({
      code: 0,
      output: expect.stringContaining(`SUCCESS: ${rules.length} rules found`),
    });
  });

  it('pass their unit tests (`promtool test rules`)', async () => {
    const { code, output } = await promtool('test', 'rules', TESTS);

    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
  });
});

describe('the Prometheus scrape configuration (deploy/prometheus/prometheus.yml)', () => {
  const SCRAPE = 'prometheus.yml';
  interface Relabel {
    source_labels?: string[];
    target_label?: string;
    action?: string;
  }
  interface ScrapeConfig {
    rule_files: string[];
    scrape_configs: { job_name: string; kubernetes_sd_configs?: unknown; relabel_configs: Relabel[] }[];
  }
  const config = load(readFileSync(DIR + SCRAPE, 'utf8')) as ScrapeConfig;
  const job = config.scrape_configs.find((c) => c.job_name === 'vidcache')!;
  const dashboard = readFileSync(
    new URL('../deploy/grafana/vidcache-dashboard.json', import.meta.url),
    'utf8',
  );

  it('gives every series the `pod` label the dashboard groups by, from the pod’s name', () => {
    expect(dashboard).toContain('by (pod)');
    expect(job.relabel_configs).toContainEqual({
      source_labels: ['__meta_kubernetes_pod_name'],
      target_label: 'pod',
    });
  });

  it('never writes the Kubernetes namespace over the cache’s own `namespace` label', () => {
    expect(job.relabel_configs.map((r) => r.target_label)).not.toContain('namespace');
  });

  it('loads the alert rules', () => {
    expect(config.rule_files).toEqual([RULES]);
  });

  it('passes `promtool check config` (Kubernetes discovery swapped for a static target)', async () => {
    // Debian's Prometheus is built without Kubernetes service discovery, so its promtool cannot
    // parse `kubernetes_sd_configs`; everything else (relabelling, regexes, rule files) is checked.
    expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
    const checked = {
      ...config,
      // Absolute, as the copy is checked from a scratch directory.
      rule_files: config.rule_files.map((file) => DIR + file),
      scrape_configs: config.scrape_configs.map(({ kubernetes_sd_configs: _sd, ...rest }) => ({
        ...rest,
        static_configs: [{ targets: ['127.0.0.1:3000'] }],
      })),
    };
    const scratch = mkdtempSync(join(tmpdir(), 'vidcache-scrape-'));
    try {
      writeFileSync(join(scratch, SCRAPE), JSON.stringify(checked));
      const { code, output } = await promtool('check', 'config', join(scratch, SCRAPE));
      expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
