import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { rawClient } from '../test/fixtures/redis.js';
import { chartSvg } from './lib/chart.js';
import { loadBenchConfig, type SectionId } from './lib/config.js';
import type { BenchContext, ChartPanel, Table } from './lib/context.js';
import type { ProfileSummary } from './lib/cpu-profile.js';
import { ensureMigrationsBesideBuild, RESULTS_DIR } from './lib/paths.js';
import { breakdownInChild, profileHttpRoute, profileScenario } from './lib/profiling.js';
import { breakdownTable, type BreakdownRow } from './profile/breakdown.js';
import { percent } from './lib/stats.js';
import { markdownTable, textTable } from './lib/table.js';
import { evaluateTargets, targetsTable, type ProfileTarget, type SectionResults } from './lib/targets.js';
import { httpPanels, httpTables, runHttp } from './sections/http.js';
import { inProcessPanels, inProcessTables, runInProcess } from './sections/in-process.js';
import { memoryTables, runMemory, type MemoryResult } from './sections/memory.js';
import { redisPanels, redisTables, runRedisHits } from './sections/redis-hits.js';
import { l1PolicyTables, runL1Policy } from './sections/l1-policy.js';
import { l1ServiceTables, runL1Service } from './sections/l1-service.js';
import { runReplay } from './sections/replay.js';
import { replayTables } from './sections/replay-tables.js';
import { runStampede, stampedePanels, stampedeTables } from './sections/stampede.js';

/**
 * `npm run bench`: runs the sections in order, then profiles the hit paths whose targets were
 * missed, prints every table, and writes bench/results/<name>.json (everything measured),
 * <name>.md (the tables) and <name>.svg (the chart). See bench/README.md.
 */
const config = loadBenchConfig();
const ctx: BenchContext = { config, log: (message) => process.stderr.write(`[bench] ${message}\n`) };
// The cache logs its Redis mode at every start; the sections start many caches.
Logger.overrideLogger(['error', 'warn']);
ensureMigrationsBesideBuild();
await assertRedisAnswers(config.redisUrl);

const startedAt = new Date();
const loadBefore = loadavg();
const results: SectionResults & { memory?: MemoryResult } = {};
const sectionSeconds: Partial<Record<SectionId, number>> = {};
const runners: Record<SectionId, () => Promise<void>> = {
  'in-process': async () => void (results.inProcess = await runInProcess(ctx)),
  redis: async () => void (results.redis = await runRedisHits(ctx)),
  http: async () => void (results.http = await runHttp(ctx)),
  stampede: async () => void (results.stampede = await runStampede(ctx)),
  replay: async () => void (results.replay = await runReplay(ctx)),
  memory: async () => void (results.memory = await runMemory(ctx)),
  'l1-policy': async () => void (results.l1Policy = await runL1Policy(ctx)),
  'l1-service': async () => void (results.l1Service = await runL1Service(ctx)),
};
for (const section of config.sections) {
  const started = performance.now();
  await runners[section]();
  sectionSeconds[section] = (performance.now() - started) / 1000;
  ctx.log(`${section}: done in ${sectionSeconds[section]!.toFixed(1)} s`);
}

const targets = evaluateTargets(results);
const profiles: { target: ProfileTarget; summary: ProfileSummary }[] = [];
let breakdown: BreakdownRow[] | undefined;
if (config.profile !== 'never') {
  const wanted = new Set(
    targets.filter((t) => t.profile && (config.profile === 'always' || !t.pass)).map((t) => t.profile!),
  );
  const seconds = config.quick ? 2 : 5;
  for (const target of wanted) {
    ctx.log(`profiling ${target} for ${seconds} s (node --cpu-prof)`);
    const summary =
      target === 'http-vidcache-l1'
        ? await profileHttpRoute(config.redisUrl, {
            seconds,
            ids: config.http.ids,
            connections: config.http.connections,
            pin: config.pin,
          })
        : await profileScenario(target, seconds, config.redisUrl);
    profiles.push({ target, summary });
  }
  if (wanted.has('cacheable-l1') || wanted.has('l2-read')) {
    ctx.log('profiling: hit-path breakdown');
    breakdown = await breakdownInChild(config.inProcess.rounds, config.inProcess.batchMs);
  }
}

const tables: Table[] = [
  ...(results.inProcess ? inProcessTables(results.inProcess) : []),
  ...(results.redis ? redisTables(results.redis) : []),
  ...(results.http ? httpTables(results.http) : []),
  ...(results.stampede ? stampedeTables(results.stampede) : []),
  ...(results.replay ? replayTables(results.replay) : []),
  ...(results.memory || results.replay ? memoryTables(results.memory, results.replay) : []),
  ...(results.l1Policy ? l1PolicyTables(results.l1Policy) : []),
  ...(results.l1Service ? l1ServiceTables(results.l1Service) : []),
  targetsTable(targets),
  ...(breakdown ? [breakdownTable(breakdown)] : []),
  ...profiles.map(({ target, summary }): Table => ({
    title: `Profile: ${target} (self time, ${summary.totalMs.toFixed(0)} ms sampled while loaded)`,
    columns: ['function (file:line)', 'self ms', 'share'],
    rows: summary.top.map((entry) => [entry.fn, entry.selfMs.toFixed(1), percent(entry.selfShare)]),
    notes: [
      `by owner: ${summary.byOwner
        .filter((o) => o.selfShare >= 0.005)
        .map((o) => `${o.owner} ${percent(o.selfShare)}`)
        .join(', ')}`,
    ],
  })),
];
const panels: ChartPanel[] = [
  ...(results.inProcess ? inProcessPanels(results.inProcess) : []),
  ...(results.redis ? redisPanels(results.redis) : []),
  ...(results.http ? httpPanels(results.http) : []),
  ...(results.stampede ? stampedePanels(results.stampede) : []),
];

const finishedAt = new Date();
const machine = {
  cpus: cpus().length,
  model: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadavgBefore: loadBefore,
  loadavgAfter: loadavg(),
};
const wallSeconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
const header = [
  `vidcache bench "${config.name}"${config.quick ? ' (QUICK: shortened, not for quoting)' : ''}`,
  `${startedAt.toISOString()}, ${wallSeconds.toFixed(0)} s; ${machine.cpus} × ${machine.model}; Node ${machine.node}; load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ${machine.loadavgAfter.map((l) => l.toFixed(1)).join(' ')} after`,
];
console.log([...header, '', ...tables.map(textTable)].join('\n\n'));

mkdirSync(RESULTS_DIR, { recursive: true });
const base = join(RESULTS_DIR, config.name);
writeFileSync(
  `${base}.json`,
  `${JSON.stringify(
    {
      name: config.name,
      quick: config.quick,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      wallSeconds,
      sectionSeconds,
      machine,
      config,
      targets,
      results,
      profiles,
      breakdown,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(
  `${base}.md`,
  `${[...header.map((line) => `${line}  `), '', ...tables.map(markdownTable)].join('\n\n')}\n`,
);
writeFileSync(
  `${base}.svg`,
  chartSvg(
    panels,
    `vidcache bench "${config.name}": median of alternating rounds, whiskers min–max; ${machine.cpus} × ${machine.model}, Node ${machine.node}, ${startedAt.toISOString().slice(0, 10)}`,
  ),
);
ctx.log(`wrote ${base}.json, .md and .svg in ${wallSeconds.toFixed(0)} s`);

async function assertRedisAnswers(url: string): Promise<void> {
  const client = rawClient(url);
  client.on('error', () => undefined);
  try {
    await client.ping();
  } catch (error) {
    console.error(`bench: Redis does not answer at ${url} (${(error as Error).message}); set REDIS_URL`);
    process.exit(1);
  } finally {
    client.disconnect();
  }
}
