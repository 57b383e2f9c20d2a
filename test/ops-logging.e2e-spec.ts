import { jest } from '@jest/globals';
import { Controller, Get, Injectable, Logger, Param } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAppLogger } from '../src/common/logging/app-logger.js';
import { createOpsApp } from './fixtures/ops-app.js';
import { uniquePrefix } from './fixtures/redis.js';

@Injectable()
class EchoService {
  private readonly logger = new Logger('EchoService');

  async echo(text: string): Promise<string> {
    this.logger.log(`echo before await: ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.logger.warn(`echo after await: ${text}`);
    return text;
  }
}

@Controller('echo')
class EchoController {
  constructor(private readonly echo: EchoService) {}

  @Get('fail')
  fail(): never {
    throw new Error('boom inside a request');
  }

  @Get(':text')
  async get(@Param('text') text: string) {
    return { text: await this.echo.echo(text) };
  }
}

interface LogRecord {
  level: string;
  message: unknown;
  context?: string;
  requestId?: string;
}

describe('structured logs with request ids', () => {
  let app: NestFastifyApplication;
  let lines: string[] = [];

  beforeAll(async () => {
    app = await createOpsApp({
      cache: { prefix: uniquePrefix('logging') },
      providers: [EchoService],
      controllers: [EchoController],
      logger: createAppLogger('json'),
    });
  });
  beforeEach(() => {
    lines = [];
    const capture = (chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => app.close());

  const records = (): LogRecord[] =>
    lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogRecord);

  it('echoes a valid X-Request-Id and puts it on every line logged during the request, as JSON', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/echo/hi',
      headers: { 'x-request-id': 'req-abc.123' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-request-id']).toBe('req-abc.123');

    const echoed = records().filter((r) => r.context === 'EchoService');
    expect(echoed.map((r) => [r.level, r.message, r.requestId])).toEqual([
      ['log', 'echo before await: hi', 'req-abc.123'],
      ['warn', 'echo after await: hi', 'req-abc.123'],
    ]);
  });

  it('generates an id when the header is missing or not a sensible id', async () => {
    for (const headers of [
      {},
      { 'x-request-id': 'has spaces and "quotes"' },
      { 'x-request-id': 'x'.repeat(300) },
    ]) {
      const response = await app.inject({ method: 'GET', url: '/echo/gen', headers });
      const id = response.headers['x-request-id'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const echoed = records().filter((r) => r.context === 'EchoService' && r.requestId === id);
      expect(echoed).toHaveLength(2);
      lines = [];
    }
  });

  it('concurrent requests keep their own ids', async () => {
    await Promise.all(
      ['one', 'two', 'three'].map((text) =>
        app.inject({ method: 'GET', url: `/echo/${text}`, headers: { 'x-request-id': `id-${text}` } }),
      ),
    );
    for (const record of records().filter((r) => r.context === 'EchoService')) {
      expect(record.requestId).toBe(`id-${String(record.message).split(': ')[1]}`);
    }
  });

  it('an unexpected error is logged with the request id, and answered as a 500 without internals', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/echo/fail',
      headers: { 'x-request-id': 'req-fail' },
    });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('boom');
    const errors = records().filter((r) => r.level === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.every((r) => r.requestId === 'req-fail')).toBe(true);
  });

  it('lines logged outside any request carry no request id', () => {
    new Logger('Outside').log('no request here');
    const outside = records().find((r) => r.context === 'Outside');
    expect(outside).toMatchObject({ level: 'log', message: 'no request here' });
    expect(outside!.requestId).toBeUndefined();
  });
});
