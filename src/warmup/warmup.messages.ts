import type { WarmupReport } from './warmup.types.js';

export const duplicateTask = (name: string) =>
  `Two warm-up tasks are named "${name}": task names must be unique`;

export const requestScopedTask = (className: string, method: string) =>
  `@WarmupTask ${className}.${method} ignored: warm-up tasks must live on singleton providers`;

export const itemFailed = (task: string, item: string, error: string) =>
  `Warm-up item ${task}/${item} failed: ${error}`;

export const lockUnavailable = (error: string) =>
  `Warm-up lock unavailable (${error}): this replica warms its own L1 without coordinating`;

export const waitingForLeader = (leader: string | null) =>
  `Another replica is warming L2 (cycle ${leader ?? 'unknown'}): waiting for it, then filling L1 from L2`;

export const leaderDidNotFinish = (leader: string | null, timedOut: boolean) =>
  timedOut
    ? `The replica warming L2 (cycle ${leader ?? 'unknown'}) did not finish in time: warming without waiting further`
    : `The replica warming L2 (cycle ${leader ?? 'unknown'}) stopped before finishing: warming without it`;

export const runFinished = (r: WarmupReport) =>
  `Warm-up ${r.id} (${r.trigger}, ${r.role}${r.skipped ? ', L2 warmed by another replica' : ''}): ` +
  `${r.succeeded}/${r.items} items in ${r.durationMs} ms, ${r.failedCount} failed` +
  (r.aborted ? ', stopped by shutdown' : '');
export const markDoneFailed = (id: string, reason: string) =>
  `Warm-up ${id} could not mark its cycle done in Redis (${reason}): followers will warm again`;
