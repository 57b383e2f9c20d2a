import { NotFoundException } from '@nestjs/common';
import { describeError } from './all-exceptions.filter.js';
import { SourceUnavailableError } from './source-unavailable.error.js';

/** Drizzle's wrapper of a driver error: the original is its `cause`. */
const wrapped = (cause: unknown) => new Error('Failed query: select 1\nparams: ', { cause });

describe('describeError', () => {
  it('answers a source the guard found unavailable with 503, its Retry-After and the reason', () => {
    const error = wrapped(new SourceUnavailableError('database', 'circuit-open', 2));
    expect(describeError(error)).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the database is unavailable (circuit-open); retry after 2 s',
      log: false,
      retryAfterSeconds: 2,
    });
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    [
      'a terminated session (pg_terminate_backend)',
      Object.assign(new Error('terminating'), { code: '57P01' }),
    ],
    ['a statement timeout', Object.assign(new Error('canceling statement'), { code: '57014' })],
    ['the pool giving up on a connection', new Error('timeout exceeded when trying to connect')],
  ])('answers %s reported by the driver directly with 503 too, never 500', (_, cause) => {
    expect(describeError(wrapped(cause))).toMatchObject({
      statusCode: 503,
      message: expect.stringContaining('the database is unavailable') as unknown,
      retryAfterSeconds: 1,
      log: false,
    });
  });

  it('leaves client errors and unknown errors as they were', () => {
    expect(describeError(new NotFoundException('no such video'))).toMatchObject({ statusCode: 404 });
    expect(describeError(wrapped(Object.assign(new Error('dup'), { code: '23505' })))).toMatchObject({
      statusCode: 409,
    });
    expect(describeError(new Error('bug'))).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'internal error',
      log: true,
    });
  });
});
