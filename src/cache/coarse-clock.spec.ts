import { jest } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { coarseClock } from './coarse-clock.js';

describe('coarseClock', () => {
  it('reads the system clock once until a timer lets it go', async () => {
    const now = coarseClock();
    const first = now();
    // A synchronous stretch: the reading is kept, whatever the system clock does meanwhile.
    const until = Date.now() + 5;
    while (Date.now() < until);
    expect(now()).toBe(first);
    await sleep(10);
    const later = now();
    expect(later).toBeGreaterThanOrEqual(first + 10);
    expect(Math.abs(later - Date.now())).toBeLessThanOrEqual(1);
  });

  it('follows the system clock across event-loop turns', async () => {
    const now = coarseClock();
    const readings: number[] = [];
    for (let i = 0; i < 5; i++) {
      readings.push(now());
      await sleep(3);
    }
    for (let i = 1; i < readings.length; i++)
      expect(readings[i]! - readings[i - 1]!).toBeGreaterThanOrEqual(2);
  });

  it("keeps no process alive: its timer is unref'd", () => {
    const timers: NodeJS.Timeout[] = [];
    const original = globalThis.setTimeout;
    const spy = jest.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const timer = original(fn, ms);
      timers.push(timer);
      return timer;
    }) as typeof setTimeout);
    try {
      const now = coarseClock(60_000);
      now();
      now();
      expect(timers).toHaveLength(1);
      expect(timers[0]!.hasRef()).toBe(false);
      clearTimeout(timers[0]);
    } finally {
      spy.mockRestore();
    }
  });
});
