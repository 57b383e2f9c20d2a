import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CacheContext, VIDCACHE_REDIS, type RedisConnections } from '../cache/index.js';
import { InjectCachePrefix, type CachePrefixOptions } from '../cache/index.js';
import { delay, withTimeout } from '../common/with-timeout.js';
import { appConfig, type AppConfig } from '../config/app.config.js';
import { opsConfig, type OpsConfig } from '../config/ops.config.js';
import { ReadinessState } from '../health/readiness-state.js';
import {
  FOLLOWER_POLL_MS,
  MAX_REPORTED_FAILURES,
  WARMUP_CRON_JOB,
  WARMUP_DONE_TTL_MS,
  WARMUP_HISTORY,
} from './warmup.constants.js';
import { WarmupLock } from './warmup-lock.js';
import {
  itemFailed,
  leaderDidNotFinish,
  lockUnavailable,
  markDoneFailed,
  runFinished,
  waitingForLeader,
} from './warmup.messages.js';
import { WarmupRegistry } from './warmup.registry.js';
import {
  WARMUP_RESULTS,
  type WarmupFailure,
  type WarmupItem,
  type WarmupReport,
  type WarmupResult,
  type WarmupRole,
  type WarmupStatus,
  type WarmupTrigger,
} from './warmup.types.js';

export interface WarmupRunOptions {
  /** Warm L2 even if another replica finished a cycle moments ago (the lock is still respected). */
  force?: boolean;
}

interface Claim {
  role: WarmupRole;
  leader?: WarmupReport['leader'];
  lockError?: string;
}

interface Tally {
  items: number;
  succeeded: number;
  failures: WarmupFailure[];
  failedCount: number;
  aborted: boolean;
}

type Timing = Pick<
  OpsConfig,
  'warmupLockTtlMs' | 'warmupFollowerWaitMs' | 'warmupItemTimeoutMs' | 'warmupConcurrency'
>;

/**
 * Runs the warm-up tasks (see `@WarmupTask`): on boot without delaying start-up (readiness waits
 * for it, bounded), on `WARMUP_CRON`, and on demand.
 *
 * One run:
 * 1. claim a role: with Redis, take the lock (leader), or wait for the replica holding it (follower);
 *    without Redis, warm alone (memory-only);
 * 2. list every task's items and warm them a few at a time, each bounded by a timeout, as background
 *    work (the cache counts its misses as prefetches); a failing item is logged and counted and the
 *    run goes on;
 * 3. as leader, mark the cycle done (followers are waiting for it) and release the lock;
 * 4. keep the report (last {@link WARMUP_HISTORY}), count it, log it.
 */
@Injectable()
export class WarmupService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Warmup');
  private readonly lock: WarmupLock | undefined;
  private current: Promise<WarmupReport> | undefined;
  private stopping = false;
  private readonly history: WarmupReport[] = [];
  private readonly runs = Object.fromEntries(WARMUP_RESULTS.map((r) => [r, 0])) as Record<
    WarmupResult,
    number
  >;
  private readonly itemCounts = { succeeded: 0, failed: 0 };

  constructor(
    private readonly registry: WarmupRegistry,
    private readonly readiness: ReadinessState,
    private readonly scheduler: SchedulerRegistry,
    @Inject(appConfig.KEY) private readonly app: Pick<AppConfig, 'warmupOnBoot' | 'warmupCron'>,
    @Inject(opsConfig.KEY) private readonly timing: Timing,
    @InjectCachePrefix() cacheOptions: CachePrefixOptions,
    private readonly context: CacheContext,
    @Optional() @Inject(VIDCACHE_REDIS) redis: RedisConnections | null = null,
  ) {
    if (redis) this.lock = new WarmupLock(redis.client, cacheOptions.prefix, timing.warmupLockTtlMs);
  }

  onApplicationBootstrap(): void {
    const job = CronJob.from({
      cronTime: this.app.warmupCron,
      onTick: () => void this.run('cron'),
      start: true,
    });
    this.scheduler.addCronJob(WARMUP_CRON_JOB, job);
    if (!this.app.warmupOnBoot) {
      this.readiness.markWarmupDone();
      return;
    }
    // Not awaited: the server starts listening now; readiness waits for this run (bounded).
    void this.run('boot').finally(() => this.readiness.markWarmupDone());
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.scheduler.doesExist('cron', WARMUP_CRON_JOB)) this.scheduler.deleteCronJob(WARMUP_CRON_JOB);
    // A run in progress starts no new item now; wait for it so its lock is released while Redis is open.
    await this.current;
  }

  /** Runs a warm-up now; if one is already running on this replica, answers with that run's report. */
  run(trigger: WarmupTrigger, options: WarmupRunOptions = {}): Promise<WarmupReport> {
    this.current ??= this.execute(trigger, options).finally(() => (this.current = undefined));
    return this.current;
  }

  status(): WarmupStatus {
    return {
      running: this.current !== undefined,
      last: this.history[0] ?? null,
      history: [...this.history],
      runs: { ...this.runs },
      items: { ...this.itemCounts },
    };
  }

  private async execute(trigger: WarmupTrigger, options: WarmupRunOptions): Promise<WarmupReport> {
    const id = randomUUID();
    const startedAt = new Date();
    const started = performance.now();
    const claim = await this.claim(id, options.force === true);
    const watchdog = claim.role === 'leader' ? this.keepLock(id) : undefined;
    let tally: Tally;
    try {
      // Background work, for the cache: no request asked for these reads, so their misses count as
      // prefetches, and an idle replica's own warm-up does not read as a low hit rate.
      tally = await this.context.runInBackground(() => this.warmAll());
      if (claim.role === 'leader') {
        // Followers still finish without the mark (their wait ends with the lock), but warm again.
        await this.lock!.markDone(id, WARMUP_DONE_TTL_MS).catch((error: Error) =>
          this.logger.warn(markDoneFailed(id, error.message)),
        );
      }
    } finally {
      clearInterval(watchdog);
      if (claim.role === 'leader') await this.lock!.release(id).catch(() => undefined);
    }
    const report: WarmupReport = {
      id,
      trigger,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - started),
      role: claim.role,
      skipped: claim.role === 'follower',
      result: resultOf(claim.role, tally),
      items: tally.items,
      succeeded: tally.succeeded,
      failedCount: tally.failedCount,
      failed: tally.failures,
      ...(claim.leader ? { leader: claim.leader } : {}),
      ...(claim.lockError ? { lockError: claim.lockError } : {}),
      ...(tally.aborted ? { aborted: true } : {}),
    };
    this.record(report);
    return report;
  }

  /** Step 1: leader, follower or memory-only. Any Redis failure means warming alone. */
  private async claim(id: string, force: boolean): Promise<Claim> {
    if (!this.lock) return { role: 'memory-only' };
    try {
      if (!force) {
        const { done } = await this.lock.state();
        if (done !== null) return { role: 'follower', leader: { id: done, finished: true, waitedMs: 0 } };
      }
      if (await this.lock.acquire(id)) return { role: 'leader' };
      return await this.follow();
    } catch (error) {
      const lockError = (error as Error).message;
      this.logger.warn(lockUnavailable(lockError));
      return { role: 'memory-only', lockError };
    }
  }

  /**
   * Waits (at most `WARMUP_FOLLOWER_WAIT_MS`) for the cycle of the replica holding the lock to be
   * marked done. If the lock is released or expires without it (the leader failed or died), or the
   * wait runs out, this replica goes on by itself: its items then load what L2 lacks.
   */
  private async follow(): Promise<Claim> {
    const started = performance.now();
    let leader: string | null | undefined;
    for (let polls = 0; ; polls++) {
      const { holder, done } = await this.lock!.state();
      leader ??= holder;
      const waitedMs = Math.round(performance.now() - started);
      if (done !== null && (leader === null || done === leader)) {
        return { role: 'follower', leader: { id: done, finished: true, waitedMs } };
      }
      const gone = holder === null || holder !== leader;
      const timedOut = waitedMs >= this.timing.warmupFollowerWaitMs || this.stopping;
      if (gone || timedOut) {
        this.logger.warn(leaderDidNotFinish(leader, !gone));
        return { role: 'follower', leader: { id: leader, finished: false, waitedMs } };
      }
      if (polls === 0) this.logger.log(waitingForLeader(leader));
      await delay(FOLLOWER_POLL_MS);
    }
  }

  /** The leader extends its lock while it works, so the lock only expires if the leader dies. */
  private keepLock(id: string): NodeJS.Timeout {
    return setInterval(
      () => void this.lock!.extend(id).catch(() => undefined),
      Math.max(100, Math.floor(this.timing.warmupLockTtlMs / 3)),
    ).unref();
  }

  /** Step 2: every item of every task, `WARMUP_CONCURRENCY` at a time; never throws. */
  private async warmAll(): Promise<Tally> {
    const tally: Tally = { items: 0, succeeded: 0, failures: [], failedCount: 0, aborted: false };
    const fail = (task: string, item: string, error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      tally.failedCount++;
      if (tally.failures.length < MAX_REPORTED_FAILURES) tally.failures.push({ task, item, error: message });
      this.logger.warn(itemFailed(task, item, message));
    };
    const queue: { task: string; item: WarmupItem }[] = [];
    for (const task of this.registry.all()) {
      try {
        const items = await this.bounded(async () => task.list(), `listing the items of ${task.name}`);
        for (const item of items) queue.push({ task: task.name, item });
      } catch (error) {
        tally.items++;
        fail(task.name, '*', error);
      }
    }
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        if (this.stopping) {
          tally.aborted = true;
          return;
        }
        const { task, item } = queue[next++]!;
        tally.items++;
        try {
          await this.bounded(async () => item.warm(), `${task}/${item.name}`);
          tally.succeeded++;
        } catch (error) {
          fail(task, item.name, error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.timing.warmupConcurrency, queue.length) }, worker));
    return tally;
  }

  private bounded<T>(fn: () => Promise<T>, what: string): Promise<T> {
    return withTimeout(fn(), this.timing.warmupItemTimeoutMs, what);
  }

  /** Step 4. */
  private record(report: WarmupReport): void {
    this.history.unshift(report);
    this.history.length = Math.min(this.history.length, WARMUP_HISTORY);
    this.runs[report.result]++;
    this.itemCounts.succeeded += report.succeeded;
    this.itemCounts.failed += report.failedCount;
    if (report.failedCount > 0) this.logger.warn(runFinished(report));
    else this.logger.log(runFinished(report));
  }
}

function resultOf(role: WarmupRole, tally: Tally): WarmupResult {
  if (role === 'follower') return 'skipped';
  if (tally.failedCount === 0) return 'success';
  return tally.succeeded > 0 ? 'partial' : 'failed';
}
