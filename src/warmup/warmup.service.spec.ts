import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CacheContext, type RedisConnections } from '../cache/index.js';
import { ReadinessState } from '../health/readiness-state.js';
import { WARMUP_HISTORY } from './warmup.constants.js';
import { WarmupRegistry } from './warmup.registry.js';
import { WarmupService } from './warmup.service.js';

const timing = {
  warmupLockTtlMs: 5_000,
  warmupFollowerWaitMs: 1_000,
  warmupItemTimeoutMs: 200,
  warmupConcurrency: 3,
};

function service(
  registry: WarmupRegistry,
  redis: RedisConnections | null = null,
  overrides = {},
  context = new CacheContext(),
) {
  return new WarmupService(
    registry,
    new ReadinessState({ warmupReadyTimeoutMs: 0 }),
    new SchedulerRegistry(),
    { warmupOnBoot: false, warmupCron: '0 * * * *' },
    { ...timing, ...overrides },
    { prefix: 'unit' },
    context,
    redis,
  );
}

describe('WarmupService', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('runs every item of every task, at most WARMUP_CONCURRENCY at a time', async () => {
    const registry = new WarmupRegistry();
    let running = 0;
    let peak = 0;
    const item = (name: string) => ({
      name,
      warm: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
      },
    });
    registry.register('a', () => Array.from({ length: 7 }, (_, i) => item(`a${i}`)));
    registry.register('b', async () => [item('b0'), item('b1')]);

    const report = await service(registry).run('manual');

    expect(report).toMatchObject({
      role: 'memory-only',
      result: 'success',
      items: 9,
      succeeded: 9,
      failedCount: 0,
    });
    expect(peak).toBe(timing.warmupConcurrency);
  });

  it('warms as background work, so the cache counts its misses as prefetches, not as requests', async () => {
    const registry = new WarmupRegistry();
    const context = new CacheContext();
    const seen: boolean[] = [];
    registry.register('a', () => [{ name: 'a0', warm: async () => void seen.push(context.inBackground()) }]);

    await service(registry, null, {}, context).run('manual');

    expect(seen).toEqual([true]);
    expect(context.inBackground()).toBe(false);
  });

  it('counts and lists failures (thrown, rejected, timed out, unlistable) and finishes the run', async () => {
    const registry = new WarmupRegistry();
    registry.register('mixed', () => [
      { name: 'ok', warm: () => 1 },
      {
        name: 'throws',
        warm: () => {
          throw new Error('sync failure');
        },
      },
      { name: 'rejects', warm: () => Promise.reject(new Error('async failure')) },
      { name: 'hangs', warm: () => new Promise(() => undefined) },
    ]);
    registry.register('broken', () => {
      throw new Error('cannot list');
    });

    const report = await service(registry).run('manual');

    expect(report).toMatchObject({ result: 'partial', items: 5, succeeded: 1, failedCount: 4 });
    expect(report.failed).toEqual([
      { task: 'broken', item: '*', error: 'cannot list' },
      { task: 'mixed', item: 'throws', error: 'sync failure' },
      { task: 'mixed', item: 'rejects', error: 'async failure' },
      { task: 'mixed', item: 'hangs', error: expect.stringMatching(/timed out after 200 ms/) },
    ]);
  });

  it('a run where every item fails is "failed"; an empty one is a success', async () => {
    const failing = new WarmupRegistry();
    failing.register('f', () => [{ name: 'x', warm: () => Promise.reject(new Error('no')) }]);
    expect((await service(failing).run('cron')).result).toBe('failed');
    expect((await service(new WarmupRegistry()).run('cron')).result).toBe('success');
  });

  it('joins a run already in progress instead of starting another', async () => {
    const registry = new WarmupRegistry();
    let calls = 0;
    registry.register('slow', () => [
      { name: 's', warm: () => new Promise((resolve) => setTimeout(() => resolve(++calls), 20)) },
    ]);
    const warmup = service(registry);
    const [first, second] = await Promise.all([warmup.run('cron'), warmup.run('manual')]);
    expect(first).toBe(second);
    expect(calls).toBe(1);
    expect(warmup.status()).toMatchObject({ running: false, runs: { success: 1 } });
  });

  it('keeps the last reports, most recent first, and counts every run and item', async () => {
    const registry = new WarmupRegistry();
    registry.register('one', () => [{ name: 'x', warm: () => 1 }]);
    const warmup = service(registry);
    const ids: string[] = [];
    for (let i = 0; i < WARMUP_HISTORY + 3; i++) ids.push((await warmup.run('cron')).id);

    const status = warmup.status();
    expect(status.history).toHaveLength(WARMUP_HISTORY);
    expect(status.last!.id).toBe(ids.at(-1));
    expect(status.history.map((r) => r.id)).toEqual(ids.slice(-WARMUP_HISTORY).toReversed());
    expect(status.runs.success).toBe(WARMUP_HISTORY + 3);
    expect(status.items).toEqual({ succeeded: WARMUP_HISTORY + 3, failed: 0 });
  });

  it('when Redis fails, warms this replica alone rather than not at all', async () => {
    const failing = () => Promise.reject(new Error('Connection is closed.'));
    const client = { mget: failing, set: failing, evalsha: failing, eval: failing };
    const redis = { client, subscriber: client } as unknown as RedisConnections;
    const registry = new WarmupRegistry();
    registry.register('one', () => [{ name: 'x', warm: () => 1 }]);

    const report = await service(registry, redis).run('boot');

    expect(report).toMatchObject({
      role: 'memory-only',
      lockError: 'Connection is closed.',
      result: 'success',
      succeeded: 1,
    });
    expect(Logger.prototype.warn).toHaveBeenCalledWith(expect.stringContaining('Connection is closed.'));
  });

  it('refuses two tasks with the same name', () => {
    const registry = new WarmupRegistry();
    registry.register('same', () => []);
    expect(() => registry.register('same', () => [])).toThrow(/"same"/);
  });
});
