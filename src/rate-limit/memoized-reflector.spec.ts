import { jest } from '@jest/globals';
import { Controller, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SkipThrottle, Throttle } from '@nestjs/throttler';
import { MemoizedReflector } from './memoized-reflector.js';

const SKIP = 'THROTTLER:SKIPdefault';
const LIMIT = 'THROTTLER:LIMITdefault';

@Controller('open')
class OpenController {
  @Get()
  read(): string {
    return 'read';
  }

  @Get('strict')
  @Throttle({ default: { limit: 3, ttl: 1_000 } })
  strict(): string {
    return 'strict';
  }
}

@SkipThrottle()
@Controller('probes')
class ProbesController {
  @Get()
  live(): string {
    return 'live';
  }
}

/** The same method registered on a second class that carries other metadata. */
@SkipThrottle()
@Controller('inherited')
class InheritedController extends OpenController {}

describe('MemoizedReflector (the throttler guard reads route metadata once per route)', () => {
  const plain = new Reflector();
  const cases: [string, Function, Function][] = [
    ['a plain route', OpenController.prototype.read, OpenController],
    ['a route with its own limit', OpenController.prototype.strict, OpenController],
    ['a class that skips throttling', ProbesController.prototype.live, ProbesController],
    ['the same handler on a class that skips', OpenController.prototype.read, InheritedController],
  ];

  it.each(cases)('answers what Reflector answers for %s', (_name, handler, classRef) => {
    const memoized = new MemoizedReflector();
    for (const key of [SKIP, LIMIT]) {
      for (let i = 0; i < 2; i++) {
        expect(memoized.getAllAndOverride(key, [handler, classRef])).toEqual(
          plain.getAllAndOverride(key, [handler, classRef]),
        );
      }
    }
  });

  it('tells classes apart that share a handler', () => {
    const memoized = new MemoizedReflector();
    expect(memoized.getAllAndOverride(SKIP, [OpenController.prototype.read, OpenController])).toBeUndefined();
    expect(memoized.getAllAndOverride(SKIP, [OpenController.prototype.read, InheritedController])).toBe(true);
    expect(memoized.getAllAndOverride(LIMIT, [OpenController.prototype.strict, OpenController])).toBe(3);
  });

  it('reads the metadata of a (key, handler, class) once, however many requests ask', () => {
    const memoized = new MemoizedReflector();
    const read = jest.spyOn(Reflect, 'getMetadata');
    for (let i = 0; i < 10; i++)
      memoized.getAllAndOverride(LIMIT, [OpenController.prototype.strict, OpenController]);
    const calls = read.mock.calls.length;
    read.mockRestore();
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(2);
  });
});
