import { jest } from '@jest/globals';
import { Bulkhead, BulkheadRejectedError } from './bulkhead.js';

describe('Bulkhead', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('lets calls through up to its limit, then queues them in order', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 2, maxQueue: 5 });
    const first = await bulkhead.acquire(1_000);
    await bulkhead.acquire(1_000);
    const order: string[] = [];
    const third = bulkhead.acquire(1_000).then((release) => (order.push('third'), release));
    const fourth = bulkhead.acquire(1_000).then((release) => (order.push('fourth'), release));
    expect(bulkhead.stats()).toMatchObject({ active: 2, queued: 2 });

    first();
    (await third)();
    await fourth;

    expect(order).toEqual(['third', 'fourth']);
    expect(bulkhead.stats()).toMatchObject({ active: 2, queued: 0 });
  });

  it('rejects at once when the queue is full, and counts it', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    await bulkhead.acquire(1_000);
    void bulkhead.acquire(1_000).catch(() => undefined);

    await expect(bulkhead.acquire(1_000)).rejects.toMatchObject({ reason: 'bulkhead-full' });
    expect(bulkhead.stats().rejections).toEqual({ 'bulkhead-full': 1, 'bulkhead-timeout': 0 });
  });

  it('rejects a waiter after its wait, and gives its place up', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const release = await bulkhead.acquire(1_000);
    const waiting = bulkhead.acquire(300);
    const rejected = waiting.catch((error: unknown) => error);

    jest.advanceTimersByTime(299);
    expect(bulkhead.stats().queued).toBe(1);
    jest.advanceTimersByTime(1);
    expect(await rejected).toBeInstanceOf(BulkheadRejectedError);
    expect(bulkhead.stats()).toMatchObject({ queued: 0, rejections: { 'bulkhead-timeout': 1 } });

    // The slot, once released, is free for the next caller: the timed-out waiter did not take it.
    release();
    expect(bulkhead.stats().active).toBe(0);
    await expect(bulkhead.acquire(0)).resolves.toEqual(expect.any(Function));
  });

  it('ignores a second release of the same slot', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 0 });
    const release = await bulkhead.acquire(0);
    release();
    release();
    expect(bulkhead.stats().active).toBe(0);
    await bulkhead.acquire(0);
    expect(bulkhead.stats().active).toBe(1);
  });
});
