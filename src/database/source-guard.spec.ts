import { jest } from '@jest/globals';
import { SourceUnavailableError, findSourceUnavailable } from '../common/source-unavailable.error.js';
import { SourceGuard, type SourceGuardOptions } from './source-guard.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const never = () => new Promise<never>(() => undefined);

describe('SourceGuard', () => {
  let probe: jest.Mock<(signal: AbortSignal) => Promise<unknown>>;
  const quiet = { warn: () => undefined, log: () => undefined };

  const guard = (options: Partial<SourceGuardOptions> = {}) =>
    new SourceGuard({
      source: 'database',
      timeoutMs: 1_000,
      queueTimeoutMs: 200,
      maxConcurrent: 2,
      queueLimit: 2,
      failureThreshold: 3,
      cooldownMs: 2_000,
      classify: (error) => ((error as { code?: string }).code === 'ECONNREFUSED' ? 'connection' : undefined),
      probe,
      logger: quiet,
      ...options,
    });

  beforeEach(() => {
    jest.useFakeTimers();
    probe = jest.fn(async () => undefined);
  });
  afterEach(() => jest.useRealTimers());

  it('passes results and query errors through, and query errors do not count as outages', async () => {
    const subject = guard();
    await expect(subject.run(async () => 42)).resolves.toBe(42);
    const duplicate = Object.assign(new Error('duplicate key'), { code: '23505' });
    await expect(subject.run(() => Promise.reject(duplicate))).rejects.toBe(duplicate);
    expect(subject.stats()).toMatchObject({ circuit: 'closed', outages: { timeout: 0, connection: 0 } });
  });

  it('turns an outage into a SourceUnavailableError that keeps the original as its cause', async () => {
    const error = refused();
    const failure = await guard()
      .run(() => Promise.reject(error))
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SourceUnavailableError);
    expect(failure).toMatchObject({ reason: 'connection', retryAfterSeconds: 2, cause: error });
  });

  it('bounds a call: past the hard bound it fails with timeout and its signal aborts', async () => {
    const subject = guard();
    let signal: AbortSignal | undefined;
    const running = subject.run((s) => ((signal = s), never()));
    const failed = running.catch((error: unknown) => error);

    await jest.advanceTimersByTimeAsync(999);
    expect(signal?.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await failed).toMatchObject({ reason: 'timeout' });
    expect(signal?.aborted).toBe(true);
    expect(subject.stats()).toMatchObject({ timeouts: 1, bulkhead: { active: 0 } });
  });

  it('opens after consecutive outages, then fails calls at once without running them', async () => {
    const subject = guard();
    for (let i = 0; i < 3; i++) await subject.run(() => Promise.reject(refused())).catch(() => undefined);
    expect(subject.state).toBe('open');

    const call = jest.fn(async () => 1);
    await expect(subject.run(call)).rejects.toMatchObject({ reason: 'circuit-open' });
    expect(call).not.toHaveBeenCalled();
    expect(subject.stats()).toMatchObject({ shortCircuited: 1, transitions: { open: 1 } });
  });

  it('a success in between resets the count of consecutive outages', async () => {
    const subject = guard();
    for (let i = 0; i < 2; i++) await subject.run(() => Promise.reject(refused())).catch(() => undefined);
    await subject.run(async () => 'ok');
    for (let i = 0; i < 2; i++) await subject.run(() => Promise.reject(refused())).catch(() => undefined);
    expect(subject.state).toBe('closed');
  });

  it('probes by itself after the cool-down and closes when the probe succeeds', async () => {
    const subject = guard();
    probe.mockRejectedValueOnce(refused());
    for (let i = 0; i < 3; i++) await subject.run(() => Promise.reject(refused())).catch(() => undefined);

    // First probe fails: open for another cool-down.
    await jest.advanceTimersByTimeAsync(2_000);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(subject.state).toBe('open');
    // Second probe succeeds: closed, with no request having gone through.
    await jest.advanceTimersByTimeAsync(2_000);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(subject.state).toBe('closed');
    await expect(subject.run(async () => 'back')).resolves.toBe('back');
    expect(subject.stats()).toMatchObject({
      transitions: { open: 2, 'half-open': 2, closed: 1 },
      probes: { runs: 2, failures: 1 },
    });
  });

  it('keeps probing when its timer fires before the breaker agrees the cool-down is over', async () => {
    // The breaker reads a wall clock that may lag the timers by a few ms.
    let lag = 0;
    const subject = guard({ now: () => Date.now() - lag });
    for (let i = 0; i < 3; i++) await subject.run(() => Promise.reject(refused())).catch(() => undefined);

    lag = 5;
    await jest.advanceTimersByTimeAsync(2_000);
    expect(probe).not.toHaveBeenCalled();
    expect(subject.state).toBe('open');

    lag = 0;
    await jest.advanceTimersByTimeAsync(25);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(subject.state).toBe('closed');
  });

  it('stops probing once stopped', async () => {
    const subject = guard();
    for (let i = 0; i < 3; i++) await subject.run(() => Promise.reject(refused())).catch(() => undefined);
    subject.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(probe).not.toHaveBeenCalled();
  });

  it('counts the bulkhead wait towards the hard bound and rejects what it turns away', async () => {
    const subject = guard({ maxConcurrent: 1, queueLimit: 1, queueTimeoutMs: 300 });
    const holding = subject.run(never).catch((e: unknown) => e);
    const waiting = subject.run(async () => 'late').catch((e: unknown) => e);
    await expect(subject.run(async () => 'full')).rejects.toMatchObject({
      reason: 'bulkhead-full',
      retryAfterSeconds: 1,
    });
    await jest.advanceTimersByTimeAsync(300);
    expect(await waiting).toMatchObject({ reason: 'bulkhead-timeout' });
    await jest.advanceTimersByTimeAsync(700);
    expect(await holding).toMatchObject({ reason: 'timeout' });
    // Turning calls away says nothing about the source's health.
    expect(subject.stats()).toMatchObject({ circuit: 'closed', outages: { timeout: 1, connection: 0 } });
  });

  it('unbounded() lets start-up work run past the bound and past an open circuit', async () => {
    probe.mockRejectedValue(refused());
    const subject = guard();
    for (let i = 0; i < 3; i++) await subject.run(() => Promise.reject(refused())).catch(() => undefined);
    expect(subject.state).toBe('open');

    const slow = subject.unbounded(() =>
      subject.run(() => new Promise<string>((resolve) => setTimeout(() => resolve('migrated'), 5_000))),
    );
    await jest.advanceTimersByTimeAsync(5_000);
    await expect(slow).resolves.toBe('migrated');
    // Outside it, the guard is back in force.
    await expect(subject.run(async () => 'x')).rejects.toMatchObject({ reason: 'circuit-open' });
  });

  it('observe() counts the outages of calls bounded elsewhere', async () => {
    const subject = guard();
    const failure = await subject.observe(Promise.reject(refused())).catch((e: unknown) => e);
    expect(findSourceUnavailable(failure)).toMatchObject({ reason: 'connection' });
    expect(subject.stats().outages.connection).toBe(1);
  });
});
