import { FakeClock } from '../../test/fixtures/clock.js';
import { CircuitBreaker } from './circuit-breaker.js';

const COOLDOWN = 5_000;

function breaker(failureThreshold = 3) {
  const clock = new FakeClock();
  return { clock, breaker: new CircuitBreaker({ failureThreshold, cooldownMs: COOLDOWN, now: clock.now }) };
}

const fail = (b: CircuitBreaker, times: number) => Array.from({ length: times }, () => b.recordFailure());

describe('CircuitBreaker', () => {
  it('starts closed and lets calls through', () => {
    const { breaker: b } = breaker();
    expect(b.state).toBe('closed');
    expect(b.allowsCalls).toBe(true);
    expect(b.opened).toBe(0);
  });

  it('opens on the threshold-th consecutive failure, and reports that failure as the one that opened it', () => {
    const { breaker: b } = breaker(3);
    expect(fail(b, 2)).toEqual([false, false]);
    expect(b.allowsCalls).toBe(true);
    expect(b.recordFailure()).toBe(true);
    expect(b.state).toBe('open');
    expect(b.allowsCalls).toBe(false);
    expect(b.opened).toBe(1);
  });

  it('counts consecutive failures only: a success in between starts the count again', () => {
    const { breaker: b } = breaker(3);
    fail(b, 2);
    b.recordSuccess();
    expect(fail(b, 2)).toEqual([false, false]);
    expect(b.state).toBe('closed');
    expect(b.recordFailure()).toBe(true);
  });

  it('ignores further failures while open', () => {
    const { breaker: b } = breaker(1);
    b.recordFailure();
    expect(fail(b, 5)).toEqual([false, false, false, false, false]);
    expect(b.opened).toBe(1);
  });

  it('offers one probe once the cool-down has passed, and only one', () => {
    const { breaker: b, clock } = breaker(1);
    b.recordFailure();
    clock.advance(COOLDOWN - 1);
    expect(b.tryStartProbe()).toBe(false);
    expect(b.state).toBe('open');
    clock.advance(1);
    expect(b.tryStartProbe()).toBe(true);
    expect(b.state).toBe('half-open');
    expect(b.allowsCalls).toBe(false);
    expect(b.tryStartProbe()).toBe(false);
  });

  it('never offers a probe while closed', () => {
    const { breaker: b, clock } = breaker();
    clock.advance(COOLDOWN * 10);
    expect(b.tryStartProbe()).toBe(false);
    expect(b.state).toBe('closed');
  });

  it('a failed probe reopens the circuit for a fresh cool-down', () => {
    const { breaker: b, clock } = breaker(1);
    b.recordFailure();
    clock.advance(COOLDOWN);
    b.tryStartProbe();
    clock.advance(1_000);
    expect(b.recordFailure()).toBe(true);
    expect(b.state).toBe('open');
    expect(b.opened).toBe(2);
    clock.advance(COOLDOWN - 1);
    expect(b.tryStartProbe()).toBe(false);
    clock.advance(1);
    expect(b.tryStartProbe()).toBe(true);
  });

  it('a successful probe does not close the circuit by itself: its owner closes it', () => {
    const { breaker: b, clock } = breaker(1);
    b.recordFailure();
    clock.advance(COOLDOWN);
    b.tryStartProbe();
    b.recordSuccess();
    expect(b.state).toBe('half-open');
    b.close();
    expect(b.state).toBe('closed');
    expect(b.allowsCalls).toBe(true);
  });

  it('close() forgets earlier failures', () => {
    const { breaker: b } = breaker(3);
    fail(b, 2);
    b.open();
    b.close();
    expect(fail(b, 2)).toEqual([false, false]);
    expect(b.state).toBe('closed');
  });

  it('open() opens at once, counts only a real transition, and restarts the cool-down', () => {
    const { breaker: b, clock } = breaker(3);
    expect(b.open()).toBe(true);
    expect(b.opened).toBe(1);
    clock.advance(COOLDOWN - 1);
    expect(b.open()).toBe(false);
    expect(b.opened).toBe(1);
    clock.advance(1);
    expect(b.tryStartProbe()).toBe(false); // the cool-down restarted at the second open()
    clock.advance(COOLDOWN - 1);
    expect(b.tryStartProbe()).toBe(true);
  });
});
