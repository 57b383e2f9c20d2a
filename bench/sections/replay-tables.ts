import type { Table } from '../lib/context.js';
import { bytes, percent, si } from '../lib/stats.js';
import type { ReadCounts, ReplayResult, ReplayRun } from './replay.js';

/** Share of reads that never reached the source (answered by L1, L2, or a load already in flight). */
export const avoidedShare = (counts: ReadCounts) =>
  counts.reads === 0 ? 0 : 1 - counts.source / counts.reads;

/**
 * Source queries avoided against no cache (where every read is one query): 1 − every source query
 * made (the reads' own, refreshes and preloads) / reads.
 */
export function queriesAvoided(run: ReplayRun, window: 'steady' | 'coldStart'): number {
  const reads = run[window].reads;
  return reads === 0 ? 0 : 1 - run.sourceQueries[window] / reads;
}

export function replayTables(result: ReplayResult): Table[] {
  const w = result.workload;
  const rows = result.runs.flatMap((run) =>
    (
      [
        ['steady state', 'steady'],
        ['from cold', 'coldStart'],
      ] as const
    ).map(([label, window]) => {
      const c = run[window];
      return [
        `${run.label}, ${label}`,
        si(c.reads),
        percent(c.l1 / c.reads),
        percent(c.l2 / c.reads),
        percent(c.joined / c.reads),
        percent(c.source / c.reads),
        si(run.sourceQueries[window]),
        percent(queriesAvoided(run, window)),
        String(c.stale),
      ];
    }),
  );
  const statusRows = result.runs.map((run) => {
    const c = run.statusSteady;
    return [
      run.label,
      si(c.reads),
      percent(c.l1 / c.reads),
      percent(c.l2 / c.reads),
      percent(c.joined / c.reads),
      percent(c.source / c.reads),
      `${si(run.warming.preloads)} preloads (${si(run.warming.predictions)} predicted, ${si(run.warming.skippedWarm)} already warm, ${si(run.warming.skippedBudget)} over budget)`,
    ];
  });
  const run = result.runs[0];
  return [
    {
      title: `5. Workload replay (${result.catalog.videos} videos, Zipf s=${w.zipfExponent}, ${percent(w.writeShare, 0)} writes, ${w.operations} operations, ${w.concurrency} in flight, L1 = ${percent(w.l1Fraction, 0)} of the catalog; ${result.database})`,
      columns: [
        'run',
        'reads',
        'L1 hit',
        'L2 hit',
        'joined a load',
        'read called the source',
        'source queries (all)',
        'source queries avoided',
        'stale reads',
      ],
      rows,
      notes: [
        "an operation is a write (5%) or a page view: the video (Zipf), then its status a moment later (after the same caller's next video), both through @Cacheable methods of a Nest application context, with the predictive warmer on or off.",
        `steady state = after the first ${w.warmupOperations} operations; "from cold" counts every operation from an empty cache.`,
        'without a cache every read is one source query, so "source queries avoided" = 1 − source queries / reads, where source queries count every query: the reads\' own, early refreshes and the warmer\'s preloads.',
        'stale reads are checked on the video reads (writes change the video; versions are tracked per video).',
        ...(run
          ? [
              `writes: ${run.writes} (${run.refusedWrites} refused: Redis could not be told in time); wall time ${(run.wallMs / 1000).toFixed(1)} s; L2 errors ${run.l2.errors} (timeouts ${run.l2.timeouts}, circuit opened ${run.l2.circuitOpened} times); event-loop delay p50 ${run.loopDelayMs.p50.toFixed(1)} ms, p99 ${run.loopDelayMs.p99.toFixed(1)} ms, max ${run.loopDelayMs.max.toFixed(0)} ms`,
            ]
          : []),
      ],
    },
    {
      title: `5b. The status reads alone (steady state), where predictive warming acts (budget ${result.warmingBudget.maxPerSecond} preloads/s, ${result.warmingBudget.maxConcurrent} at once)`,
      columns: ['run', 'reads', 'L1 hit', 'L2 hit', 'joined a load', 'read called the source', 'warmer'],
      rows: statusRows,
    },
  ];
}

export function replayBoundRows(result: ReplayResult): string[][] {
  return result.runs.map((run) => [
    `L1 bound under replay (${run.label})`,
    `${si(run.l1Bound.peakEntries)} / ${si(run.l1Bound.maxEntries)} entries, ${bytes(run.l1Bound.peakBytes)} / ${bytes(run.l1Bound.maxBytes)}`,
    `${run.l1Bound.held ? 'held' : 'EXCEEDED'}; ${si(run.l1Bound.pressureEvictions)} LRU evictions; ${Math.round(run.bytesPerEntry)} B per video entry (estimate)`,
  ]);
}
