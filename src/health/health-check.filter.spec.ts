import { jest } from '@jest/globals';
import { Logger, ServiceUnavailableException, type ArgumentsHost } from '@nestjs/common';
import { HealthCheckFilter } from './health-check.filter.js';

function host() {
  const sent: { status?: number; body?: unknown } = {};
  const reply = {
    status(code: number) {
      sent.status = code;
      return reply;
    },
    send(body: unknown) {
      sent.body = body;
    },
  };
  const argumentsHost = { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost;
  return { argumentsHost, sent };
}

const failed = (error: Record<string, unknown>) =>
  new ServiceUnavailableException({ status: 'error', info: {}, error, details: error });

describe('HealthCheckFilter', () => {
  let debug: ReturnType<typeof jest.spyOn>;
  let error: ReturnType<typeof jest.spyOn>;
  beforeEach(() => {
    debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers the Terminus result as the 503 body', () => {
    const { argumentsHost, sent } = host();
    const exception = failed({ warmup: { status: 'down', firstRun: 'pending' } });
    new HealthCheckFilter().catch(exception, argumentsHost);
    expect(sent).toEqual({ status: 503, body: exception.getResponse() });
  });

  it.each([
    ['the first warm-up running', { warmup: { status: 'down', firstRun: 'pending' } }],
    ['the shutdown drain', { lifecycle: { status: 'down', shuttingDown: true } }],
  ])('logs %s at debug level only', (_label, failures) => {
    new HealthCheckFilter().catch(failed(failures), host().argumentsHost);
    expect(error).not.toHaveBeenCalled();
    expect(debug).toHaveBeenCalledWith(expect.stringMatching(/^Not ready: (warmup|lifecycle) /));
  });

  it('logs a dependency down as an error, naming it, even while warming up', () => {
    new HealthCheckFilter().catch(
      failed({
        database: { status: 'down', message: 'database unreachable' },
        warmup: { status: 'down', firstRun: 'pending' },
      }),
      host().argumentsHost,
    );
    expect(debug).not.toHaveBeenCalled();
    expect(error).toHaveBeenCalledWith(
      expect.stringContaining('database {"status":"down","message":"database unreachable"}'),
    );
  });
});
