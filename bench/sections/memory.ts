import { createHybrid, uniquePrefix } from '../../test/fixtures/redis.js';
import type { BenchContext, Table } from '../lib/context.js';
import { collectGarbage } from '../lib/harness.js';
import { benchItem } from '../lib/payload.js';
import { percent, si } from '../lib/stats.js';
import { BENCH_NAMESPACE, benchCacheOptions } from './in-process.js';
import type { ReplayResult } from './replay.js';
import { replayBoundRows } from './replay-tables.js';

export interface MemoryResult {
  readonly entries: number;
  readonly valueJsonBytes: number;
  /** L1's own estimate (`stats().l1.bytes / entries`), which its byte bound is enforced on. */
  readonly estimatedBytesPerEntry: number;
  /** Growth of the V8 heap per entry, after full collections; null without `--expose-gc`. */
  readonly heapBytesPerEntry: number | null;
}

/**
 * Section 6: what an L1 entry costs. A memory-only cache is filled with `entries` distinct ~1 KB
 * values through `wrap` (as a hit path fills it: the value is serialized once and L1 keeps its
 * own frozen copy). Reported: L1's estimate per entry, and the real heap growth per entry measured
 * between two full garbage collections.
 */
export async function runMemory(ctx: BenchContext): Promise<MemoryResult> {
  const { entries } = ctx.config.memory;
  const hybrid = await createHybrid({ ...benchCacheOptions(uniquePrefix('bench-memory'), undefined) });
  try {
    const keys = Array.from({ length: entries }, (_, i) => ['item', i] as const);
    ctx.log(`memory: ${entries} entries of ~1 KB`);
    const collected = collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < entries; i++) await hybrid.cache.wrap(BENCH_NAMESPACE, keys[i]!, () => benchItem(i));
    collectGarbage();
    const after = process.memoryUsage().heapUsed;
    const l1 = hybrid.cache.stats().namespaces[BENCH_NAMESPACE]!;
    if (l1.l1Entries !== entries)
      throw new Error(`memory: L1 holds ${l1.l1Entries} entries, expected ${entries}`);
    return {
      entries,
      valueJsonBytes: JSON.stringify(benchItem(1)).length,
      estimatedBytesPerEntry: l1.l1Bytes / l1.l1Entries,
      heapBytesPerEntry: collected ? (after - before) / entries : null,
    };
  } finally {
    await hybrid.close();
  }
}

export function memoryTables(result: MemoryResult | undefined, replay: ReplayResult | undefined): Table[] {
  const rows: string[][] = [];
  if (result) {
    const heap = result.heapBytesPerEntry;
    rows.push(
      [
        `bytes per L1 entry, L1's estimate (${si(result.entries)} entries, ~${result.valueJsonBytes} B JSON each)`,
        `${Math.round(result.estimatedBytesPerEntry)} B`,
        'stats().l1.bytes / entries: what the byte bound counts',
      ],
      [
        'bytes per L1 entry, V8 heap growth',
        heap === null ? 'n/a (run with --expose-gc)' : `${Math.round(heap)} B`,
        heap === null
          ? ''
          : `estimate / heap = ${percent(result.estimatedBytesPerEntry / heap, 0)} (heapUsed after − before, full GCs, ÷ entries)`,
      ],
    );
  }
  if (replay) rows.push(...replayBoundRows(replay));
  return [{ title: '6. Memory', columns: ['measure', 'value', 'how'], rows }];
}
