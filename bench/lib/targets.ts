import { CACHEABLE, CACHE_MANAGER_WRAP, type InProcessResult } from '../sections/in-process.js';
import type { HttpResult } from '../sections/http.js';
import { RAW_IOREDIS, VIDCACHE_L2, type RedisResult } from '../sections/redis-hits.js';
import type { ReplayResult } from '../sections/replay.js';
import { queriesAvoided } from '../sections/replay-tables.js';
import type { StampedeResult } from '../sections/stampede.js';
import { RECENCY, ZIPF_099_CRAWL, type L1PolicyResult } from '../sections/l1-policy.js';
import type { L1ServiceResult } from '../sections/l1-service.js';
import type { Table } from './context.js';
import { percent, ratioText, type Summary } from './stats.js';

/** Which hit path to profile when a target on it is missed. */
export type ProfileTarget = 'cacheable-l1' | 'l2-read' | 'http-vidcache-l1';

export interface TargetResult {
  readonly id: string;
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
  /** For a miss: how far from the target, in the target's own terms. */
  readonly gap: string;
  readonly profile?: ProfileTarget;
}

export interface SectionResults {
  inProcess?: InProcessResult;
  redis?: RedisResult;
  http?: HttpResult;
  stampede?: StampedeResult;
  replay?: ReplayResult;
  l1Policy?: L1PolicyResult;
  l1Service?: L1ServiceResult;
}

/** "at least" / "at most" with the gap written as a factor and a difference. */
function atLeast(value: number, threshold: number, format: (v: number) => string) {
  const pass = value >= threshold;
  return {
    pass,
    gap: pass ? '' : `short by ${format(threshold - value)} (${percent(1 - value / threshold)} under)`,
  };
}

function atMost(value: number, threshold: number, format: (v: number) => string) {
  const pass = value <= threshold;
  return {
    pass,
    gap: pass ? '' : `over by ${format(value - threshold)} (${ratioText(value / threshold)} the target)`,
  };
}

/** The targets, each checked against ratios measured in the same run. */
export function evaluateTargets(results: SectionResults): TargetResult[] {
  const targets: TargetResult[] = [];
  const { inProcess, redis, http, stampede, replay, l1Policy, l1Service } = results;
  if (inProcess) {
    const cacheable = inProcess.variants.find((v) => v.name === CACHEABLE)!;
    const ns = cacheable.nsPerOp.median;
    targets.push({
      id: 'l1-hit-latency',
      target: '@Cacheable L1 hit ≤ 300 ns (median)',
      measured: `${ns.toFixed(0)} ns`,
      ...atMost(ns, 300, (v) => `${v.toFixed(0)} ns`),
      profile: 'cacheable-l1',
    });
    const vsCm = cacheable.vsCacheManager.median;
    targets.push({
      id: 'l1-hit-vs-cache-manager',
      target: `@Cacheable L1 hit ≥ 2× the throughput of ${CACHE_MANAGER_WRAP}`,
      measured: `${ratioText(vsCm)} (rounds ${ratioText(cacheable.vsCacheManager.min)}–${ratioText(cacheable.vsCacheManager.max)})`,
      ...atLeast(vsCm, 2, ratioText),
      profile: 'cacheable-l1',
    });
    const cost = inProcess.tinylfuVsLru;
    targets.push({
      id: 'l1-hit-tinylfu-vs-lru',
      target: '@Cacheable L1 hit with eviction tinylfu ≤ 1.1× its time with lru (same rounds)',
      measured: `${ratioText(cost.median)} (rounds ${ratioText(cost.min)}–${ratioText(cost.max)})`,
      ...atMost(cost.median, 1.1, ratioText),
      profile: 'cacheable-l1',
    });
  }
  if (http) {
    const l1 = http.variants.find((v) => v.id === 'l1')!;
    const interceptor = http.variants.find((v) => v.id === 'cache-interceptor')!;
    const rounds = (ratio: Summary) => `rounds ${ratioText(ratio.min)}–${ratioText(ratio.max)}`;
    targets.push({
      id: 'http-l1-vs-constant',
      target: 'vidcache L1-hit route ≥ 0.9× the bare constant route (req/s)',
      measured: `${ratioText(l1.vsConstant.median)} (${rounds(l1.vsConstant)}; CacheInterceptor ${ratioText(interceptor.vsConstant.median)})`,
      ...atLeast(l1.vsConstant.median, 0.9, ratioText),
      profile: 'http-vidcache-l1',
    });
    targets.push({
      id: 'http-l1-vs-cache-interceptor',
      target: "vidcache L1-hit route ≥ 1.15× Nest's CacheInterceptor route (req/s)",
      measured: `${ratioText(l1.vsCacheInterceptor.median)} (${rounds(l1.vsCacheInterceptor)})`,
      ...atLeast(l1.vsCacheInterceptor.median, 1.15, ratioText),
      profile: 'http-vidcache-l1',
    });
  }
  if (redis) {
    const at64 = redis.comparisons.find((c) => c.concurrency === 64);
    const ours = at64?.variants.find((v) => v.name === VIDCACHE_L2);
    if (ours) {
      const ratio = ours.vsRaw.median;
      targets.push({
        id: 'l2-vs-raw-64',
        target: `L2 read path ≥ 0.8× ${RAW_IOREDIS} at 64 in flight`,
        measured: `${ratioText(ratio)} (rounds ${ratioText(ours.vsRaw.min)}–${ratioText(ours.vsRaw.max)})`,
        ...atLeast(ratio, 0.8, ratioText),
        profile: 'l2-read',
      });
    }
  }
  if (stampede) {
    const ours = stampede.variants.filter((v) => v.name.startsWith('vidcache'));
    const calls = ours.flatMap((v) => v.sourceCalls);
    const pass = calls.length > 0 && calls.every((c) => c === 1);
    targets.push({
      id: 'stampede-single-call',
      target: `stampede: exactly 1 source call (${stampede.callers} callers)`,
      measured: ours.map((v) => `${v.name}: ${v.sourceCalls.join(', ')}`).join('; '),
      pass,
      gap: pass ? '' : `${Math.max(...calls)} calls in the worst round`,
    });
  }
  if (replay) {
    const run = replay.runs.find((r) => !r.predictiveWarming);
    if (run) {
      const avoided = queriesAvoided(run, 'steady');
      const warmed = replay.runs.find((r) => r.predictiveWarming);
      const withWarming = warmed
        ? `; with predictive warming ${percent(queriesAvoided(warmed, 'steady'))}`
        : '';
      targets.push({
        id: 'replay-source-avoided',
        target: 'replay: ≥ 90% of reads never reach the source (steady state)',
        measured: `${percent(avoided)} (from cold: ${percent(queriesAvoided(run, 'coldStart'))}${withWarming})`,
        ...atLeast(avoided, 0.9, (v) => percent(v)),
      });
      const stale = replay.runs.reduce((sum, r) => sum + r.coldStart.stale, 0);
      const reads = replay.runs.reduce((sum, r) => sum + r.coldStart.reads, 0);
      targets.push({
        id: 'replay-stale-reads',
        target: 'replay: 0 stale reads',
        measured: `${stale} of ${reads} reads (both runs)`,
        pass: stale === 0,
        gap: stale === 0 ? '' : `${stale} stale reads`,
      });
    }
  }
  if (l1Policy) targets.push(...l1PolicyTargets(l1Policy));
  if (l1Service) targets.push(l1ServiceTarget(l1Service));
  return targets;
}

/** The headline: through the real service, after a crawl, within 3 points of the oracle. */
function l1ServiceTarget(result: L1ServiceResult): TargetResult {
  const ratioOf = (eviction: string) => result.runs.find((run) => run.eviction === eviction)!.l1HitRatio;
  const tinylfu = ratioOf('tinylfu');
  return {
    id: 'l1-service-tinylfu-vs-oracle-crawl',
    target: `GET /videos/:id through the service, Zipf(0.99) with a crawl: video L1 (tinylfu, ${result.capacity} entries) within 3 points of the frequency oracle`,
    measured: `${percent(tinylfu)} vs oracle ${percent(result.oracle)} (lru ${percent(ratioOf('lru'))})`,
    ...atMost(result.oracle - tinylfu, 0.03, points),
  };
}

/** A difference of hit ratios, in percentage points. */
const points = (v: number) => `${(v * 100).toFixed(1)} points`;

/** W-TinyLFU's promises: near the oracle after a crawl, near LRU where recency rules, hits as cheap. */
function l1PolicyTargets(result: L1PolicyResult): TargetResult[] {
  const targets: TargetResult[] = [];
  const crawl = result.rows.find((row) => row.trace === ZIPF_099_CRAWL);
  if (crawl) {
    const gap = crawl.oracle - crawl.tinylfu;
    targets.push({
      id: 'l1-tinylfu-vs-oracle-crawl',
      target: `L1 tinylfu on Zipf(0.99) with a crawl within 3 points of the frequency oracle (${result.capacity} entries)`,
      measured: `${percent(crawl.tinylfu)} vs oracle ${percent(crawl.oracle)} (lru ${percent(crawl.lru)})`,
      ...atMost(gap, 0.03, points),
    });
  }
  const recency = result.rows.find((row) => row.trace === RECENCY);
  if (recency) {
    targets.push({
      id: 'l1-tinylfu-vs-lru-recency',
      target: 'L1 tinylfu on the recency-biased trace no worse than lru − 2 points',
      measured: `${percent(recency.tinylfu)} vs lru ${percent(recency.lru)}`,
      ...atLeast(recency.tinylfu, recency.lru - 0.02, points),
    });
  }
  const ratio = result.hitCost.ratio;
  targets.push({
    id: 'l1-tinylfu-hit-cost',
    target: 'L1 hit (probe) with tinylfu ≤ 1.1× its cost with lru',
    measured: `${ratioText(ratio.median)} (rounds ${ratioText(ratio.min)}–${ratioText(ratio.max)})`,
    ...atMost(ratio.median, 1.1, ratioText),
  });
  return targets;
}

export function targetsTable(targets: readonly TargetResult[]): Table {
  return {
    title: 'Targets (ratios from this run)',
    columns: ['target', 'measured', 'result'],
    rows: targets.map((t) => [t.target, t.measured, t.pass ? 'met' : `MISSED: ${t.gap}`]),
  };
}
