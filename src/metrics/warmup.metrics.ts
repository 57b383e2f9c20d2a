import type { Registry } from 'prom-client';
import { WARMUP_RESULTS, type WarmupStatus } from '../warmup/warmup.types.js';
import { METRIC } from './metrics.constants.js';
import { mirroredCounter, mirroredGauge } from './mirrored-metrics.js';

/** Registers the warm-up's metrics, read from its status at scrape time. */
export function registerWarmupMetrics(registry: Registry, status: () => WarmupStatus): void {
  mirroredCounter(
    registry,
    {
      name: METRIC.warmupRuns,
      help: 'Warm-up runs by result: success, partial (some items failed), failed, skipped (another replica warmed L2; this one filled its L1)',
      labelNames: ['result'],
    },
    () => {
      const { runs } = status();
      return WARMUP_RESULTS.map((result) => [{ result }, runs[result]]);
    },
  );
  mirroredCounter(
    registry,
    { name: METRIC.warmupItems, help: 'Warm-up items by result (succeeded, failed)', labelNames: ['result'] },
    () => {
      const { items } = status();
      return [
        [{ result: 'succeeded' }, items.succeeded],
        [{ result: 'failed' }, items.failed],
      ];
    },
  );
  mirroredGauge(
    registry,
    { name: METRIC.warmupLastDuration, help: 'Duration of the last warm-up run' },
    () => {
      const { last } = status();
      return last ? [[{}, last.durationMs / 1000]] : [];
    },
  );
  mirroredGauge(
    registry,
    { name: METRIC.warmupLastRun, help: 'When the last warm-up run started (Unix time)' },
    () => {
      const { last } = status();
      return last ? [[{}, Date.parse(last.startedAt) / 1000]] : [];
    },
  );
}
