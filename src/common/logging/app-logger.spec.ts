import { jest } from '@jest/globals';
import { createAppLogger } from './app-logger.js';
import { pickRequestId, runWithRequestId } from './request-context.js';

describe('AppLogger', () => {
  let written: string[];
  beforeEach(() => {
    written = [];
    const capture = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => jest.restoreAllMocks());

  it('JSON: one object per line, with the request id inside a request', () => {
    const logger = createAppLogger('json');
    runWithRequestId('req-1', () => logger.log('inside', 'Ctx'));
    logger.warn('outside', 'Ctx');

    const [inside, outside] = written.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(inside).toMatchObject({ level: 'log', message: 'inside', context: 'Ctx', requestId: 'req-1' });
    expect(outside).toMatchObject({ level: 'warn', message: 'outside', context: 'Ctx' });
    expect(outside).not.toHaveProperty('requestId');
    expect(written.every((line) => line.endsWith('\n') && line.trimEnd().split('\n').length === 1)).toBe(
      true,
    );
  });

  it('pretty: the request id follows the context', () => {
    const logger = createAppLogger('pretty');
    runWithRequestId('req-2', () => logger.log('hello', 'Ctx'));
    expect(written.join('')).toMatch(/\[Ctx\].*\[req-2\].*hello/);
  });
});

describe('pickRequestId', () => {
  it.each(['abc', 'req-1.2_3', '0f8b2c1e-9a1b-4c1d-8e2f-1234567890ab', 'trace@host/span=1+2:3'])(
    'keeps a sensible client id: %s',
    (id) => expect(pickRequestId(id)).toBe(id),
  );

  it.each([undefined, '', 'with space', 'quote"', 'new\nline', 'x'.repeat(129), 'émoji🙂'])(
    'replaces %j with a UUID',
    (header) =>
      expect(pickRequestId(header)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  );

  it('never hands out the same id twice', () => {
    const ids = Array.from({ length: 10_000 }, () => pickRequestId(undefined));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('takes the first of repeated headers', () => {
    expect(pickRequestId(['first', 'second'])).toBe('first');
  });
});
