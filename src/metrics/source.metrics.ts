import type { Registry } from 'prom-client';
import type { SourceGuardStats } from '../database/source-guard.js';
import { METRIC } from './metrics.constants.js';
import { mirroredCounter, mirroredGauge } from './mirrored-metrics.js';
import { Snapshot } from './snapshot.js';

const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;

/**
 * Registers the metrics of the sources behind the cache (the database): timeouts and outages, the
 * circuit breaker's state and transitions, calls it answered at once, and the bulkhead's slots,
 * queue and rejections. Read from the guards' own counters at scrape time, labelled by `source`.
 */
export function registerSourceMetrics(registry: Registry, stats: () => SourceGuardStats[]): void {
  const snapshot = new Snapshot(stats);
  const each = <T>(fn: (s: SourceGuardStats) => T[]) => snapshot.get().flatMap(fn);

  mirroredCounter(
    registry,
    {
      name: METRIC.sourceTimeouts,
      help: 'Source calls that ran past the hard bound (client or server side)',
      labelNames: ['source'],
    },
    () => each((s) => [[{ source: s.source }, s.timeouts]]),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.sourceOutages,
      help: 'Source calls that failed because the source was unreachable, by kind (timeout, connection)',
      labelNames: ['source', 'kind'],
    },
    () =>
      each((s) => [
        [{ source: s.source, kind: 'timeout' }, s.outages.timeout],
        [{ source: s.source, kind: 'connection' }, s.outages.connection],
      ]),
  );
  mirroredGauge(
    registry,
    {
      name: METRIC.sourceCircuitState,
      help: 'State of the circuit breaker in front of the source, 1 for the current one',
      labelNames: ['source', 'state'],
    },
    () =>
      each((s) => CIRCUIT_STATES.map((state) => [{ source: s.source, state }, s.circuit === state ? 1 : 0])),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.sourceCircuitTransitions,
      help: 'Times the source circuit breaker entered each state',
      labelNames: ['source', 'to'],
    },
    () => each((s) => CIRCUIT_STATES.map((to) => [{ source: s.source, to }, s.transitions[to]])),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.sourceShortCircuited,
      help: 'Source calls answered at once (503) because the circuit was open',
      labelNames: ['source'],
    },
    () => each((s) => [[{ source: s.source }, s.shortCircuited]]),
  );
  mirroredGauge(
    registry,
    { name: METRIC.sourceBulkheadActive, help: 'Source calls running now', labelNames: ['source'] },
    () => each((s) => [[{ source: s.source }, s.bulkhead.active]]),
  );
  mirroredGauge(
    registry,
    {
      name: METRIC.sourceBulkheadQueued,
      help: 'Source calls waiting for a bulkhead slot now',
      labelNames: ['source'],
    },
    () => each((s) => [[{ source: s.source }, s.bulkhead.queued]]),
  );
  mirroredCounter(
    registry,
    {
      name: METRIC.sourceBulkheadRejections,
      help: 'Source calls the bulkhead turned away: queue full, or no slot within the queue timeout',
      labelNames: ['source', 'reason'],
    },
    () =>
      each((s) => [
        [{ source: s.source, reason: 'full' }, s.bulkhead.rejections['bulkhead-full']],
        [{ source: s.source, reason: 'timeout' }, s.bulkhead.rejections['bulkhead-timeout']],
      ]),
  );
}
