import { Injectable } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { load } from 'js-yaml';
import { existsSync, readFileSync } from 'node:fs';
import { Cacheable } from '../src/cache/index.js';
import { appConfig } from '../src/config/app.config.js';
import { cacheConfig } from '../src/config/cache.config.js';
import { loadDatabaseConfig } from '../src/config/database.config.js';
import { loadOpsConfig } from '../src/config/ops.config.js';
import { ReadinessState } from '../src/health/readiness-state.js';
import { WarmupTask } from '../src/warmup/warmup-task.decorator.js';
import type { WarmupItem } from '../src/warmup/warmup.types.js';
import { createOpsApp } from './fixtures/ops-app.js';
import { parseMetrics } from './fixtures/prometheus.js';
import { deletePrefix, rawClient, TEST_REDIS_URL, uniquePrefix } from './fixtures/redis.js';

/* The deployment files must match the application: every probe path answers, every metric the
 * dashboard queries is exported, every configuration value passes the service's own validation. */

const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const yaml = <T>(path: string) => load(read(path)) as T;

interface Probe {
  httpGet: { path: string; port: string | number };
  periodSeconds: number;
  failureThreshold: number;
}
interface Container {
  name: string;
  image: string;
  ports: { name: string; containerPort: number }[];
  envFrom: ({ configMapRef: { name: string } } | { secretRef: { name: string } })[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
  lifecycle: { preStop: { exec: { command: string[] } } };
}
interface Deployment {
  kind: string;
  metadata: { name: string };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: { terminationGracePeriodSeconds: number; containers: Container[] };
    };
  };
}
interface Dashboard {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
}

@Injectable()
class DeployCheckService {
  @Cacheable({ namespace: 'video', key: (id: string) => ['video', id] })
  async find(id: string) {
    return { id };
  }
}

@Injectable()
class DeployCheckWarmup {
  constructor(private readonly service: DeployCheckService) {}

  @WarmupTask({ name: 'deploy-check' })
  list(): WarmupItem[] {
    return [{ name: 'v1', warm: () => this.service.find('v1') }];
  }
}

/** Evaluates the service's configuration loaders against a set of variables. */
function validateAgainstService(env: Record<string, string>): void {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, env);
    appConfig();
    cacheConfig();
    loadOpsConfig(env);
    loadDatabaseConfig(env);
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

describe('deployment files', () => {
  const redis = rawClient();
  const prefix = uniquePrefix('deploy');
  let app: NestFastifyApplication;
  let scrapedNames: Set<string>;

  const deployment = yaml<Deployment>('deploy/kubernetes/deployment.yaml');
  const configMap = yaml<{ metadata: { name: string }; data: Record<string, string> }>(
    'deploy/kubernetes/configmap.yaml',
  );
  const secret = yaml<{ metadata: { name: string }; stringData: Record<string, string> }>(
    'deploy/kubernetes/secret.template.yaml',
  );
  const container = deployment.spec.template.spec.containers[0]!;
  const drainMs = Number(configMap.data.SHUTDOWN_DRAIN_MS);

  beforeAll(async () => {
    app = await createOpsApp({
      cache: { prefix, redisUrl: TEST_REDIS_URL },
      providers: [DeployCheckService, DeployCheckWarmup],
    });
    await app.get(ReadinessState).whenWarmupSettled();
    await app.get(DeployCheckService).find('v1');
    await app.inject({ method: 'GET', url: '/health/live' });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    scrapedNames = new Set(parseMetrics(response.body).map((s) => s.name));
  });
  afterAll(async () => {
    await app.close();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  describe('Kubernetes', () => {
    it('probes the documented health paths, and each answers 200 on a ready replica', async () => {
      expect(container.startupProbe.httpGet.path).toBe('/health/live');
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
        expect(container.ports.map((p) => p.name)).toContain(probe.httpGet.port);
        const response = await app.inject({ method: 'GET', url: probe.httpGet.path });
        expect(response.statusCode).toBe(200);
      }
      // Start-up gets longer than liveness to come up (migrations, connections).
      const startupWindow = container.startupProbe.periodSeconds * container.startupProbe.failureThreshold;
      expect(startupWindow).toBeGreaterThanOrEqual(30);
    });

    it('scrapes a path that exists', async () => {
      const annotations = deployment.spec.template.metadata.annotations;
      const port = container.ports.find((p) => p.name === 'http')!.containerPort;
      expect(annotations['prometheus.io/port']).toBe(String(port));
      expect((await app.inject({ method: 'GET', url: annotations['prometheus.io/path']! })).statusCode).toBe(
        200,
      );
    });

    it('runs at least 2 replicas, with resources, and a grace period longer than preStop + drain', () => {
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(container.resources.requests).toMatchObject({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
      expect(container.resources.limits).toMatchObject({ memory: expect.any(String) });
      const [command, seconds] = container.lifecycle.preStop.exec.command;
      expect(command).toBe('sleep');
      const grace = deployment.spec.template.spec.terminationGracePeriodSeconds;
      expect(grace * 1000).toBeGreaterThan(Number(seconds) * 1000 + drainMs + 10_000);
    });

    it('the autoscaler and the disruption budget target these pods, never below 2 replicas', () => {
      const hpa = yaml<{
        spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number };
      }>('deploy/kubernetes/hpa.yaml');
      expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);

      const podLabels = deployment.spec.template.metadata.labels;
      const pdb = yaml<{ spec: { selector: { matchLabels: Record<string, string> } } }>(
        'deploy/kubernetes/pdb.yaml',
      );
      expect(podLabels).toMatchObject(pdb.spec.selector.matchLabels);
      const service = yaml<{ spec: { selector: Record<string, string>; ports: { targetPort: string }[] } }>(
        'deploy/kubernetes/service.yaml',
      );
      expect(podLabels).toMatchObject(service.spec.selector);
      expect(container.ports.map((p) => p.name)).toContain(service.spec.ports[0]!.targetPort);
      expect(podLabels).toMatchObject(deployment.spec.selector.matchLabels);
    });

    it('names the image to build and push in one place, kustomization.yaml', () => {
      const kustomization = yaml<{ images: { name: string; newName: string; newTag: string }[] }>(
        'deploy/kubernetes/kustomization.yaml',
      );
      const image = kustomization.images.find((i) => i.name === container.image);
      expect(image).toMatchObject({
        newName: expect.stringMatching(/\/vidcache$/),
        newTag: expect.any(String),
      });
      // The commands to build and push it are written next to it, for the operator.
      expect(read('deploy/kubernetes/kustomization.yaml')).toContain(`docker build -t ${image!.newName}:`);
    });

    it('takes its environment from the ConfigMap and the Secret, whose values the service accepts', () => {
      const sources = container.envFrom.map((source) =>
        'configMapRef' in source ? source.configMapRef.name : source.secretRef.name,
      );
      expect(sources).toEqual([configMap.metadata.name, secret.metadata.name]);
      expect(Object.keys(secret.stringData).sort()).toEqual(['ADMIN_TOKEN', 'DATABASE_URL', 'REDIS_URL']);
      expect(() => validateAgainstService({ ...configMap.data, ...secret.stringData })).not.toThrow();
      expect(loadOpsConfig(configMap.data)).toMatchObject({ logFormat: 'json', shutdownDrainMs: drainMs });
    });
  });

  describe('docker compose', () => {
    interface Service {
      build?: string;
      image?: string;
      ports?: string[];
      healthcheck?: { test: string[] | string };
      environment?: Record<string, string>;
      stop_grace_period?: string;
      depends_on?: Record<string, { condition: string }>;
      volumes?: string[];
    }
    interface Compose {
      services: Record<string, Service>;
      volumes?: Record<string, unknown>;
    }
    const compose = yaml<Compose>('docker-compose.yml');
    const text = read('docker-compose.yml');

    // What `docker compose config` would refuse (no Docker CLI runs here), checked on the file itself.
    it('is a valid Compose file: known top-level keys, interpolations, dependencies and volumes', () => {
      expect(
        Object.keys(compose).filter(
          (key) => !['name', 'services', 'volumes', 'networks', 'configs', 'secrets'].includes(key),
        ),
      ).toEqual([]);
      // `${NAME}`, `${NAME:-default}` or `${NAME-default}`; a bare `$` must be written `$$`.
      const dollars = [...text.matchAll(/\$(?!\$)(\{[^}]*\}|.)/g)].map((m) => m[0]);
      expect(dollars.filter((d) => !/^\$\{[A-Za-z_][A-Za-z0-9_]*(:?-[^}]*)?\}$/.test(d))).toEqual([]);
      for (const [name, service] of Object.entries(compose.services)) {
        expect([name, Boolean(service.build ?? service.image)]).toEqual([name, true]);
        for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
          expect(compose.services[dependency]?.healthcheck).toBeDefined();
          expect(condition).toBe('service_healthy');
        }
        for (const volume of service.volumes ?? []) {
          const source = volume.split(':')[0]!;
          if (!source.startsWith('.') && !source.startsWith('/'))
            expect(Object.keys(compose.volumes ?? {})).toContain(source);
        }
      }
      expect(existsSync(new URL(`${compose.services.app!.build}/Dockerfile`, root))).toBe(true);
    });

    it('points the app at the Redis and PostgreSQL it runs, on the port it publishes', () => {
      const app = compose.services.app!;
      const environment = app.environment!;
      const database = new URL(environment.DATABASE_URL!);
      const postgres = compose.services[database.hostname]!.environment!;
      expect([database.username, database.password, database.pathname.slice(1)]).toEqual([
        postgres.POSTGRES_USER,
        postgres.POSTGRES_PASSWORD,
        postgres.POSTGRES_DB,
      ]);
      expect(compose.services[new URL(environment.REDIS_URL!).hostname]?.image).toMatch(/^redis:/);
      expect(app.ports!.map((port) => port.split(':').at(-1))).toContain(environment.PORT);
    });

    it('runs the app, Redis and PostgreSQL, each with a healthcheck; the app’s is readiness', async () => {
      expect(Object.keys(compose.services).sort()).toEqual(['app', 'postgres', 'redis']);
      for (const service of Object.values(compose.services)) expect(service.healthcheck).toBeDefined();
      const test = [compose.services.app!.healthcheck!.test].flat().join(' ');
      expect(test).toContain('/health/ready');
      expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    });

    it('gives the app a valid environment and a stop grace period longer than its drain', () => {
      const environment = Object.fromEntries(
        Object.entries(compose.services.app!.environment!).map(([name, value]) => [
          name,
          // `${ADMIN_TOKEN:-}`: unset unless the operator provides one.
          String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1'),
        ]),
      );
      expect(() => validateAgainstService(environment)).not.toThrow();
      expect(Number.parseInt(compose.services.app!.stop_grace_period!, 10) * 1000).toBeGreaterThan(
        Number(environment.SHUTDOWN_DRAIN_MS),
      );
    });
  });

  describe('Dockerfile', () => {
    const dockerfile = read('Dockerfile');
    const stages = dockerfile.split(/^FROM /m).slice(1);

    it('is multi-stage, runs as a non-root user, and ships the migrations', () => {
      expect(stages.length).toBeGreaterThanOrEqual(2);
      const runtime = stages.at(-1)!;
      expect(runtime).toMatch(/^USER node$/m);
      expect(runtime).toContain('src/database/migrations');
      expect(runtime).toMatch(/^CMD \["node",.*"dist\/main\.js"\]$/m);
      expect(runtime).toContain('/health/ready');
    });
  });

  describe('Grafana dashboard', () => {
    const dashboard = JSON.parse(read('deploy/grafana/vidcache-dashboard.json')) as Dashboard;
    const expressions = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    const names = [...new Set(expressions.flatMap((expr) => expr.match(/\bvidcache_[a-z0-9_]+/g) ?? []))];

    it('queries the documented metrics', () => {
      for (const name of [
        'vidcache_cache_requests_total',
        'vidcache_cache_load_duration_seconds_bucket',
        'vidcache_cache_l2_errors_total',
        'vidcache_cache_l1_bytes',
        'vidcache_warmup_runs_total',
        'vidcache_http_request_duration_seconds_bucket',
      ]) {
        expect(names).toContain(name);
      }
    });

    it('queries only metrics the running application exports', () => {
      const missing = names.filter((name) => !scrapedNames.has(name));
      expect(missing).toEqual([]);
      expect(names.length).toBeGreaterThanOrEqual(15);
    });
  });
});
