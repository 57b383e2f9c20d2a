import { Controller, Get, Injectable, Param } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Cacheable, HybridCacheService } from '../src/cache/index.js';
import { ReadinessState } from '../src/health/readiness-state.js';
import { WarmupLock } from '../src/warmup/warmup-lock.js';
import { WarmupTask } from '../src/warmup/warmup-task.decorator.js';
import { WarmupService } from '../src/warmup/warmup.service.js';
import type { WarmupItem, WarmupReport } from '../src/warmup/warmup.types.js';
import { waitFor } from './fixtures/deferred.js';
import { untilHeard } from './fixtures/http.js';
import { closeAll, createOpsApp } from './fixtures/ops-app.js';
import { TEST_REDIS_URL, UNHURRIED_L2_TIMEOUT_MS } from './fixtures/redis.js';
import { testPrefixes } from './fixtures/redis-prefixes.js';

const WARMED = ['a', 'b', 'c', 'd', 'e', 'f'];

/** Stands in for a repository: counts what each replica loads from "the database". */
@Injectable()
class ItemsService {
  loads = 0;

  @Cacheable({ namespace: 'item', key: (id: string) => ['item', id] })
  async find(id: string): Promise<{ id: string; title: string }> {
    this.loads++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (id.startsWith('broken')) throw new Error(`source failed for ${id}`);
    return { id, title: `item ${id}` };
  }
}

@Injectable()
class ItemsWarmup {
  constructor(private readonly items: ItemsService) {}

  @WarmupTask({ name: 'items' })
  list(): WarmupItem[] {
    return WARMED.map((id) => ({ name: id, warm: () => this.items.find(id) }));
  }
}

/** Some items throw, one task cannot even list its items: the run must still finish and say so. */
@Injectable()
class FlakyWarmup {
  constructor(private readonly items: ItemsService) {}

  @WarmupTask({ name: 'flaky' })
  list(): WarmupItem[] {
    return ['ok-1', 'broken-1', 'ok-2', 'broken-2'].map((id) => ({
      name: id,
      warm: () => this.items.find(id),
    }));
  }

  @WarmupTask({ name: 'unlistable' })
  unlistable(): Promise<WarmupItem[]> {
    return Promise.reject(new Error('could not query the categories'));
  }
}

@Controller('items')
class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @Get(':id')
  find(@Param('id') id: string) {
    return this.items.find(id);
  }
}

const cache = (prefix: string, { memoryOnly = false } = {}) => ({
  prefix,
  redisUrl: memoryOnly ? undefined : TEST_REDIS_URL,
  policies: { item: { jitter: 0, l1TtlMs: 60_000, l2TtlMs: 60_000 } },
  l2: { timeoutMs: UNHURRIED_L2_TIMEOUT_MS },
});

const bootReport = async (app: NestFastifyApplication): Promise<WarmupReport> => {
  await app.get(ReadinessState).whenWarmupSettled();
  await waitFor(() => app.get(WarmupService).status().last !== null);
  return app.get(WarmupService).status().last!;
};

describe('warm-up', () => {
  const { redis, next: prefix, used: prefixes } = testPrefixes('warmup');

  describe('two replicas booting together on one Redis', () => {
    let a: NestFastifyApplication;
    let b: NestFastifyApplication;
    let reports: WarmupReport[];

    beforeAll(async () => {
      const shared = prefix();
      const boot = () =>
        createOpsApp({
          cache: cache(shared),
          providers: [ItemsService, ItemsWarmup],
          controllers: [ItemsController],
        });
      [a, b] = await Promise.all([boot(), boot()]);
      reports = await Promise.all([bootReport(a), bootReport(b)]);
    });
    afterAll(() => closeAll(a, b));

    it('one warms L2 (leader), the other skips it and follows', () => {
      const roles = reports.map((r) => r.role).sort();
      expect(roles).toEqual(['follower', 'leader']);
      const leader = reports.find((r) => r.role === 'leader')!;
      const follower = reports.find((r) => r.role === 'follower')!;
      expect(leader).toMatchObject({
        skipped: false,
        result: 'success',
        items: 6,
        succeeded: 6,
        failedCount: 0,
      });
      expect(follower).toMatchObject({ skipped: true, result: 'skipped', items: 6, succeeded: 6 });
      expect(follower.leader).toMatchObject({ id: leader.id, finished: true });
    });

    it('the database is read once per item across both replicas: the follower filled its L1 from L2', () => {
      const loads = [a, b].map((app) => app.get(ItemsService).loads);
      expect(loads.reduce((x, y) => x + y, 0)).toBe(WARMED.length);
      expect(loads).toContain(0);
    });

    it('after boot, the first read of a warmed key is an L1 hit on each replica', async () => {
      for (const app of [a, b]) {
        const loadsBefore = app.get(ItemsService).loads;
        await untilHeard(app); // a deaf replica serves no L1 (see fixtures/http.ts)
        const response = await app.inject({ method: 'GET', url: '/items/c' });
        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({ id: 'c', title: 'item c' });
        expect(response.headers['cache-status']).toBe('vidcache; hit; detail=l1');
        expect(app.get(ItemsService).loads).toBe(loadsBefore);
      }
      // A key no task warmed is a miss, for contrast.
      const cold = await a.inject({ method: 'GET', url: '/items/zzz' });
      expect(cold.headers['cache-status']).toBe('vidcache; fwd=miss; stored');
    });

    it('the lock is released by its owner once the cycle is done, leaving the done marker', async () => {
      const lock = new WarmupLock(redis, prefixes[0]!, 5_000);
      const state = await lock.state();
      expect(state.holder).toBeNull();
      expect(state.done).toBe(reports.find((r) => r.role === 'leader')!.id);
    });

    it('a forced run (as POST /admin/cache/warmup does) warms L2 again, as leader', async () => {
      const report = await a.get(WarmupService).run('manual', { force: true });
      expect(report).toMatchObject({ role: 'leader', trigger: 'manual', result: 'success', items: 6 });
    });
  });

  it('items that throw, and a task that cannot list its items, are reported without stopping the run', async () => {
    const app = await createOpsApp({ cache: cache(prefix()), providers: [ItemsService, FlakyWarmup] });
    try {
      const report = await bootReport(app);
      expect(report).toMatchObject({
        role: 'leader',
        result: 'partial',
        items: 5,
        succeeded: 2,
        failedCount: 3,
      });
      expect(report.failed).toEqual(
        expect.arrayContaining([
          { task: 'flaky', item: 'broken-1', error: 'source failed for broken-1' },
          { task: 'flaky', item: 'broken-2', error: 'source failed for broken-2' },
          { task: 'unlistable', item: '*', error: 'could not query the categories' },
        ]),
      );
      // The items that worked are cached: reading them loads nothing.
      const before = app.get(ItemsService).loads;
      await app.get(ItemsService).find('ok-2');
      expect(app.get(ItemsService).loads).toBe(before);
      // The application is up and ready despite the failures.
      expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      expect(app.get(WarmupService).status().runs.partial).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('an item slower than WARMUP_ITEM_TIMEOUT_MS counts as failed and the run goes on', async () => {
    @Injectable()
    class SlowWarmup {
      @WarmupTask({ name: 'slow' })
      list(): WarmupItem[] {
        return [
          { name: 'never', warm: () => new Promise(() => undefined) },
          { name: 'quick', warm: () => 'ok' },
        ];
      }
    }
    const app = await createOpsApp({
      cache: cache(prefix()),
      providers: [SlowWarmup],
      env: { WARMUP_ITEM_TIMEOUT_MS: '100' },
    });
    try {
      const report = await bootReport(app);
      expect(report).toMatchObject({ result: 'partial', items: 2, succeeded: 1, failedCount: 1 });
      expect(report.failed[0]).toMatchObject({
        task: 'slow',
        item: 'never',
        error: expect.stringMatching(/timed out/),
      });
    } finally {
      await app.close();
    }
  });

  it('without Redis, a replica warms its own L1 (memory-only) and its first read is an L1 hit', async () => {
    const app = await createOpsApp({
      cache: cache(prefix(), { memoryOnly: true }),
      providers: [ItemsService, ItemsWarmup],
      controllers: [ItemsController],
    });
    try {
      const report = await bootReport(app);
      expect(report).toMatchObject({ role: 'memory-only', skipped: false, result: 'success', items: 6 });
      const response = await app.inject({ method: 'GET', url: '/items/a' });
      expect(response.headers['cache-status']).toBe('vidcache; hit; detail=l1');
      expect(app.get(HybridCacheService).stats().namespaces.item!.l1.hits).toBeGreaterThanOrEqual(1);
    } finally {
      await app.close();
    }
  });

  describe('the lock', () => {
    it('only its owner can release or extend it, and it expires if the owner dies', async () => {
      const lock = new WarmupLock(redis, prefix(), 300);

      expect(await lock.acquire('owner')).toBe(true);
      expect(await lock.acquire('intruder')).toBe(false);
      expect(await lock.release('intruder')).toBe(false);
      expect(await lock.extend('intruder')).toBe(false);
      expect((await lock.state()).holder).toBe('owner');

      expect(await lock.extend('owner')).toBe(true);
      expect(await lock.release('owner')).toBe(true);
      expect((await lock.state()).holder).toBeNull();

      expect(await lock.acquire('dies')).toBe(true);
      await waitFor(async () => (await lock.state()).holder === null, 2_000);
      expect(await lock.acquire('next')).toBe(true);
    });

    it('a follower waits for the leader holding the lock, and goes on when it finishes', async () => {
      const shared = prefix();
      const lock = new WarmupLock(redis, shared, 5_000);
      await lock.acquire('leader-cycle');
      const app = await createOpsApp({ cache: cache(shared), providers: [ItemsService, ItemsWarmup] });
      try {
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(app.get(WarmupService).status().last).toBeNull(); // still waiting

        await lock.markDone('leader-cycle', 60_000);
        await lock.release('leader-cycle');
        const report = await bootReport(app);
        expect(report).toMatchObject({ role: 'follower', skipped: true });
        expect(report.leader).toMatchObject({ id: 'leader-cycle', finished: true });
        expect(report.leader!.waitedMs).toBeGreaterThanOrEqual(150);
      } finally {
        await app.close();
      }
    });

    it('a follower whose leader vanishes without finishing warms by itself', async () => {
      const shared = prefix();
      // The "leader" dies: its lock expires. Long enough that the app is up (and a follower) first.
      const lock = new WarmupLock(redis, shared, 2_000);
      await lock.acquire('dead-leader');
      const app = await createOpsApp({ cache: cache(shared), providers: [ItemsService, ItemsWarmup] });
      try {
        const report = await bootReport(app);
        expect(report).toMatchObject({ role: 'follower', items: 6, succeeded: 6 });
        expect(report.leader).toMatchObject({ id: 'dead-leader', finished: false });
        expect(app.get(ItemsService).loads).toBe(WARMED.length);
      } finally {
        await app.close();
      }
    });
  });
});
