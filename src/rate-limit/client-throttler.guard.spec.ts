import { jest } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { SkipThrottle, Throttle, ThrottlerException, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { ClientThrottlerGuard } from './client-throttler.guard.js';
import { LocalFirstThrottlerStorage } from './local-first-throttler.storage.js';

class VideosController {
  findOne(): void {}
  list(): void {}
  @SkipThrottle()
  probe(): void {}
  // A limit given as a function: the fast path cannot read it once, the stock guard resolves it.
  @Throttle({ default: { limit: () => 2, ttl: 60_000 } })
  computed(): void {}
}

interface FakeResponse {
  headers: Map<string, string | number>;
  header(name: string, value: string | number): void;
}

function call(handler: keyof VideosController, ip = '10.0.0.1') {
  const response: FakeResponse = {
    headers: new Map(),
    // As Fastify's reply keeps them.
    header(name, value) {
      this.headers.set(name.toLowerCase(), value);
    },
  };
  const request = { ip, headers: {} };
  const context = {
    getType: () => 'http',
    getHandler: () => VideosController.prototype[handler],
    getClass: () => VideosController,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
  return { context, response };
}

async function guardWith(limit: number, clock: () => number) {
  const options: ThrottlerModuleOptions = {
    throttlers: [{ name: 'default', ttl: 60_000, limit }],
    errorMessage: (_context, { timeToBlockExpire }) => `slow down for ${timeToBlockExpire} s`,
  };
  const storage = new LocalFirstThrottlerStorage({
    redis: null,
    prefix: 'spec',
    instanceId: 'spec',
    l2Status: () => 'disabled',
    clock,
  });
  const guard = new ClientThrottlerGuard(options, storage);
  await guard.onModuleInit();
  return { guard, storage };
}

describe('ClientThrottlerGuard', () => {
  let now = 1_000_000;
  const clock = () => now;
  beforeEach(() => (now = 1_000_000));

  it('decides a plain route in memory, with the X-RateLimit headers, and no request waits on a new promise', async () => {
    const { guard } = await guardWith(3, clock);
    const first = call('findOne');
    const second = call('findOne');
    const answers = [guard.canActivate(first.context), guard.canActivate(second.context)];
    // The same settled promise every time: nothing allocated, nothing to wait for but one tick.
    expect(answers[0]).toBe(answers[1]);
    await expect(answers[0]).resolves.toBe(true);
    expect(Object.fromEntries(second.response.headers)).toEqual({
      'x-ratelimit-limit': 3,
      'x-ratelimit-remaining': 1,
      'x-ratelimit-reset': 60,
    });
  });

  it('answers the stock 429 with Retry-After past the limit, one budget per client across routes', async () => {
    const { guard } = await guardWith(2, clock);
    await guard.canActivate(call('findOne').context);
    await guard.canActivate(call('list').context);
    const third = call('findOne');
    await expect(guard.canActivate(third.context)).rejects.toThrow(
      new ThrottlerException('slow down for 60 s'),
    );
    expect(third.response.headers.get('retry-after')).toBe(60);
    // Another client still has its whole budget.
    await expect(guard.canActivate(call('findOne', '10.0.0.2').context)).resolves.toBe(true);
    // The block ends with its duration.
    now += 60_001;
    await expect(guard.canActivate(call('findOne').context)).resolves.toBe(true);
  });

  it('counts IPv6 clients by /64, as the stock guard does', async () => {
    const { guard } = await guardWith(1, clock);
    await guard.canActivate(call('findOne', '2001:db8:1:2::1').context);
    await expect(guard.canActivate(call('findOne', '2001:db8:1:2::ffff').context)).rejects.toThrow(
      ThrottlerException,
    );
  });

  it('keeps each client to its own budget when their requests interleave', async () => {
    const { guard } = await guardWith(1, clock);
    const clients = ['10.0.0.1', '10.0.0.2', '2001:db8:1:2::1', '2001:db8:9:9::1'];
    for (const ip of clients)
      await expect(guard.canActivate(call('findOne', ip).context)).resolves.toBe(true);
    // The same /64 as the third client, after another client's request: that client's budget, spent.
    await expect(guard.canActivate(call('findOne', '2001:db8:1:2::ffff').context)).rejects.toThrow(
      ThrottlerException,
    );
    for (const ip of clients)
      await expect(guard.canActivate(call('findOne', ip).context)).rejects.toThrow(ThrottlerException);
  });

  it('lets a @SkipThrottle() route through uncounted and without headers', async () => {
    const { guard } = await guardWith(1, clock);
    for (let i = 0; i < 3; i++) {
      const probe = call('probe');
      await expect(guard.canActivate(probe.context)).resolves.toBe(true);
      expect(probe.response.headers.size).toBe(0);
    }
    await expect(guard.canActivate(call('findOne').context)).resolves.toBe(true);
  });

  it('decides each route by its own options when requests to different routes interleave', async () => {
    const { guard } = await guardWith(10, clock);
    // A counted route, a skipped one, and one whose own limit (2) the stock guard resolves, one
    // after another: each must get its own plan (the guard keeps a plan per route between calls).
    const routes = ['findOne', 'probe', 'computed', 'findOne', 'probe'] as const;
    const limits = [];
    for (const route of routes) {
      const { context, response } = call(route);
      await expect(guard.canActivate(context)).resolves.toBe(true);
      limits.push(response.headers.get('x-ratelimit-limit'));
    }
    expect(limits).toEqual([10, undefined, 2, 10, undefined]);
    // The client's one budget now holds 3 counted requests: the computed route's limit of 2 refuses.
    await expect(guard.canActivate(call('computed').context)).rejects.toThrow(ThrottlerException);
  });

  it('leaves a route whose limit is a function to the stock guard, which resolves it per request', async () => {
    const { guard, storage } = await guardWith(100, clock);
    const hit = jest.spyOn(storage, 'hit');
    const increment = jest.spyOn(storage, 'increment');
    await guard.canActivate(call('computed').context);
    const second = call('computed');
    await guard.canActivate(second.context);
    expect(second.response.headers.get('x-ratelimit-limit')).toBe(2);
    await expect(guard.canActivate(call('computed').context)).rejects.toThrow(ThrottlerException);
    expect(increment).toHaveBeenCalledTimes(3);
    // Through increment only: the fast path's direct call was not taken.
    expect(hit).toHaveBeenCalledTimes(3);
    expect(increment.mock.calls.every(([key]) => key === '10.0.0.1')).toBe(true);
  });
});
