import { FakeClock } from '../../test/fixtures/clock.js';
import { Deferred } from '../../test/fixtures/deferred.js';
import { createHybrid, type HybridHandle } from '../../test/fixtures/redis.js';

const MINUTE = 60_000;

/**
 * The fail-safe rules of a load whose key has a stale value within grace: the soft timeout, the
 * throttle after a failure, and the stale answers counted by reason. Memory-only: no Redis needed.
 */
describe('a load with a stale value to fall back on', () => {
  let clock: FakeClock;
  let handle: HybridHandle;
  const policies = {
    item: {
      l1TtlMs: MINUTE,
      l2TtlMs: MINUTE,
      jitter: 0,
      graceMs: 10 * MINUTE,
      softTimeoutMs: 50,
      failSafeThrottleMs: 5_000,
    },
    nosoft: {
      l1TtlMs: MINUTE,
      l2TtlMs: MINUTE,
      jitter: 0,
      graceMs: 10 * MINUTE,
      softTimeoutMs: 0,
      failSafeThrottleMs: 0,
    },
  };

  beforeEach(async () => {
    clock = new FakeClock();
    handle = await createHybrid({ policies, now: clock.now });
  });
  afterEach(() => handle.close());

  /** Reads `key` with `loader`, returning the value and the tier that answered. */
  const read = (key: string, loader: () => Promise<string>, namespace = 'item') =>
    handle.context.run(async () => ({
      value: await handle.cache.wrap(namespace, key, loader),
      tier: handle.context.outcomes()[0]!.tier,
    }));

  it('answers the stale value once the soft timeout passes, then stores the late result', async () => {
    await handle.cache.wrap('item', 'k', async () => 'old');
    clock.advance(MINUTE + 1_000);
    const slow = new Deferred<string>();

    const served = await read('k', () => slow.promise);
    expect(served).toEqual({ value: 'old', tier: 'stale' });
    expect(handle.cache.stats().namespaces.item!.staleByReason).toEqual({
      error: 0,
      timeout: 1,
      throttled: 0,
    });

    slow.resolve('new');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const never = () => Promise.reject(new Error('not called: the late result is cached'));
    expect(await read('k', never)).toEqual({ value: 'new', tier: 'l1' });
  });

  it('a late result does not store when an eviction landed meanwhile', async () => {
    await handle.cache.wrap('item', 'k', async () => 'old');
    clock.advance(MINUTE + 1_000);
    const slow = new Deferred<string>();
    expect((await read('k', () => slow.promise)).tier).toBe('stale');

    await handle.cache.delete('item', 'k'); // a write lands while the slow load still runs
    slow.resolve('read before the write');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await read('k', async () => 'after the write')).toEqual({
      value: 'after the write',
      tier: 'source',
    });
  });

  it('without a soft timeout, waits for the source however slow', async () => {
    await handle.cache.wrap('nosoft', 'k', async () => 'old');
    clock.advance(MINUTE + 1_000);
    const slow = new Deferred<string>();
    const reading = read('k', () => slow.promise, 'nosoft');
    setTimeout(() => slow.resolve('new'), 120);
    expect(await reading).toEqual({ value: 'new', tier: 'source' });
  });

  it('after a failure served stale, does not call the source for that key until the throttle ends', async () => {
    await handle.cache.wrap('item', 'k', async () => 'old');
    await handle.cache.wrap('item', 'other', async () => 'other-old');
    clock.advance(MINUTE + 1_000);
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('db down'));
    };

    expect(await read('k', failing)).toEqual({ value: 'old', tier: 'stale' });
    for (let i = 0; i < 5; i++) expect(await read('k', failing)).toEqual({ value: 'old', tier: 'stale' });
    expect(calls).toBe(1);
    // Another key is not throttled by this one's failure.
    expect(await read('other', failing)).toEqual({ value: 'other-old', tier: 'stale' });
    expect(calls).toBe(2);

    clock.advance(5_001);
    expect(await read('k', async () => 'new')).toEqual({ value: 'new', tier: 'source' });
    expect(handle.cache.stats().namespaces.item!.staleByReason).toEqual({
      error: 2,
      timeout: 0,
      throttled: 5,
    });
  });

  it('with nothing stale to serve, a failure is the caller’s, and nothing is throttled', async () => {
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('db down'));
    };
    await expect(read('cold', failing)).rejects.toThrow('db down');
    await expect(read('cold', failing)).rejects.toThrow('db down');
    expect(calls).toBe(2);
  });
});
