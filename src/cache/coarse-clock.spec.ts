import { jest } from '@jest/globals';
import { coarseClock } from './coarse-clock.js';

// Fake timers drive both the system clock and the timers, so each step below is exact: no
// assertion depends on how fast this machine runs the test.
describe('coarseClock', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('reads the system clock once until its timer lets the reading go', () => {
    const now = coarseClock();
    const first = now();
    expect(first).toBe(Date.now());
    // A synchronous stretch: the system clock moves, but no timer runs, so the reading is kept.
    jest.setSystemTime(first + 5);
    expect(now()).toBe(first);
    // The next turn of timers drops the reading; the clock then reads the system clock again.
    jest.advanceTimersByTime(1);
    expect(now()).toBe(first + 6);
    expect(now()).toBe(Date.now());
  });

  it('follows the system clock across turns of timers', () => {
    const now = coarseClock(2);
    const readings: number[] = [];
    for (let i = 0; i < 5; i++) {
      readings.push(now());
      jest.advanceTimersByTime(3);
    }
    expect(readings).toEqual([0, 3, 6, 9, 12].map((dt) => 1_000_000 + dt));
  });

  it('keeps one reading for its whole resolution, however often it is asked', () => {
    const now = coarseClock(10);
    const first = now();
    jest.advanceTimersByTime(9);
    expect(now()).toBe(first);
    jest.advanceTimersByTime(1);
    expect(now()).toBe(first + 10);
  });
});

describe('coarseClock timer', () => {
  it("keeps no process alive: its timer is unref'd, and one timer serves many readings", () => {
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
