import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { ReadinessState } from './readiness-state.js';

describe('ReadinessState', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('waits for the first warm-up until it is marked done', async () => {
    const state = new ReadinessState({ warmupReadyTimeoutMs: 30_000 });
    expect(state.warmup).toBe('pending');
    expect(state.waitsForWarmup).toBe(true);

    state.markWarmupDone();
    expect(state.warmup).toBe('done');
    expect(state.waitsForWarmup).toBe(false);
    await expect(state.whenWarmupSettled()).resolves.toBeUndefined();
    // The timeout no longer matters.
    jest.advanceTimersByTime(60_000);
    expect(state.warmup).toBe('done');
  });

  it('stops waiting after WARMUP_READY_TIMEOUT_MS, and says so', async () => {
    const state = new ReadinessState({ warmupReadyTimeoutMs: 30_000 });
    jest.advanceTimersByTime(29_999);
    expect(state.warmup).toBe('pending');
    jest.advanceTimersByTime(1);
    expect(state.warmup).toBe('timed-out');
    expect(state.waitsForWarmup).toBe(false);
    await expect(state.whenWarmupSettled()).resolves.toBeUndefined();
    expect(Logger.prototype.warn).toHaveBeenCalledWith(expect.stringContaining('30000 ms'));

    // A warm-up finishing late still counts as done.
    state.markWarmupDone();
    expect(state.warmup).toBe('done');
  });

  it('with a timeout of 0 it never waits', () => {
    expect(new ReadinessState({ warmupReadyTimeoutMs: 0 }).waitsForWarmup).toBe(false);
  });

  it('shutdown is for good', () => {
    const state = new ReadinessState({ warmupReadyTimeoutMs: 0 });
    expect(state.isShuttingDown).toBe(false);
    state.markShuttingDown();
    state.markWarmupDone();
    expect(state.isShuttingDown).toBe(true);
  });
});
