/**
 * One thing to warm: usually a call to a cached service method (`@Cacheable`), so the value lands in
 * L2 (on the replica holding the lock) and in this replica's L1.
 */
export interface WarmupItem {
  /** Names the item in reports and logs, e.g. `popular:music`. */
  readonly name: string;
  readonly warm: () => unknown;
}

/** What a warm-up task returns: its items, listed when a run starts. */
export type WarmupItems = readonly WarmupItem[] | Promise<readonly WarmupItem[]>;

export type WarmupTrigger = 'boot' | 'cron' | 'manual';

/**
 * - `leader`: this replica held the lock and warmed L2 (and its L1);
 * - `follower`: another replica held the lock or had just warmed L2; this one waited for it, then
 *   ran the same items, which read L2 and fill its own L1;
 * - `memory-only`: no Redis (not configured, or unreachable): this replica warmed its L1 alone.
 */
export type WarmupRole = 'leader' | 'follower' | 'memory-only';

/** `skipped`: a follower's run (it did not warm L2). Otherwise from the item outcomes. */
export type WarmupResult = 'success' | 'partial' | 'failed' | 'skipped';

export const WARMUP_RESULTS: readonly WarmupResult[] = ['success', 'partial', 'failed', 'skipped'];

export interface WarmupFailure {
  task: string;
  /** The item's name, or `*` when the task could not list its items. */
  item: string;
  error: string;
}

export interface WarmupReport {
  id: string;
  trigger: WarmupTrigger;
  startedAt: string;
  durationMs: number;
  role: WarmupRole;
  /** True when another replica warmed L2 in this cycle (the lock was held elsewhere). */
  skipped: boolean;
  result: WarmupResult;
  /** Items attempted (a task that could not list its items counts as one failed item). */
  items: number;
  succeeded: number;
  failedCount: number;
  /** The first failures (all are counted in `failedCount`). */
  failed: WarmupFailure[];
  /** For a follower: the leader's cycle id, and whether it finished before this replica went on. */
  leader?: { id: string | null; finished: boolean; waitedMs: number };
  /** Set when Redis is configured but its lock could not be used: why this replica warmed alone. */
  lockError?: string;
  /** Set when shutdown stopped the run before every item ran. */
  aborted?: boolean;
}

/** The warm-up's state for stats and the admin API. */
export interface WarmupStatus {
  running: boolean;
  last: WarmupReport | null;
  /** Most recent first. */
  history: WarmupReport[];
  /** Runs since start-up by result. */
  runs: Record<WarmupResult, number>;
  /** Items since start-up. */
  items: { succeeded: number; failed: number };
}
