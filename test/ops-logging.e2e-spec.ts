import { jest } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Get, Injectable, Logger, Param, Post } from '@nestjs/common';
import { IsString } from 'class-validator';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAppLogger } from '../src/common/logging/app-logger.js';
import { WarmupLock } from '../src/warmup/warmup-lock.js';
import { AppProcess, buildIfNeeded } from './fixtures/app-process.js';
import { waitFor } from './fixtures/deferred.js';
import { createOpsApp } from './fixtures/ops-app.js';
import { TEST_REDIS_URL, uniquePrefix } from './fixtures/redis.js';
import { testPrefixes } from './fixtures/redis-prefixes.js';

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

class EchoBody {
  @IsString()
  text!: string;
}

@Controller('echo')
class EchoController {
  constructor(private readonly echo: EchoService) {}

  @Post()
  async post(@Body() body: EchoBody) {
    return { text: await this.echo.echo(body.text) };
  }

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

  it('keeps the id through a body that arrives after the headers, on a real socket', async () => {
    // Fastify parses a body in the socket's callbacks, outside the request's context: the hooks
    // enter it again before validation and the handler, or these lines would carry no id.
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const body = JSON.stringify({ text: 'late-body' });
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/echo',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-request-id': 'req-late-body',
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      request.on('error', reject);
      // The headers and the first bytes now, the rest later: the body ends in a later socket read.
      request.write(body.slice(0, 5));
      setTimeout(() => request.end(body.slice(5)), 50);
    });
    expect(status).toBe(201);
    const echoed = records().filter((r) => r.context === 'EchoService');
    expect(echoed).toHaveLength(2);
    expect(echoed.every((r) => r.requestId === 'req-late-body')).toBe(true);
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

// The built service as an operator runs it: its output is a pipe here, as under a process manager.
describe('the logs of the built service', () => {
  const { redis, next: prefix } = testPrefixes('oplogs');
  const ESCAPE = String.fromCharCode(27);
  const SMALL_EMBEDDED = { DATA_DIR: 'memory://', SEED_SCALE: '0.01', ADMIN_TOKEN: '' };

  beforeAll(() => buildIfNeeded(), 120_000);

  const lines = (logs: string) => logs.split('\n').filter(Boolean);

  describe('in text, with LOG_LEVEL=debug, started while another replica holds the warm-up lock', () => {
    const cachePrefix = prefix();
    const service = new AppProcess({
      ...SMALL_EMBEDDED,
      LOG_FORMAT: 'pretty',
      LOG_LEVEL: 'debug',
      REDIS_URL: TEST_REDIS_URL,
      CACHE_PREFIX: cachePrefix,
      // This replica waits for the lock's holder, and readiness answers 503 meanwhile.
      WARMUP_FOLLOWER_WAIT_MS: '2000',
    });

    beforeAll(async () => {
      if (!(await new WarmupLock(redis, cachePrefix, 60_000).acquire('another-replica')))
        throw new Error('the warm-up lock of a fresh prefix was already taken');
      await service.start(120_000);
    }, 180_000);
    afterAll(() => service.stop());

    it('writes no terminal colour codes into a pipe', () => {
      expect(service.logs).toContain('[Bootstrap]');
      expect(service.logs).not.toContain(ESCAPE);
    });

    it('says in one line where it listens and where the API docs are', () => {
      const listening = lines(service.logs).filter((line) => line.includes('Listening on'));
      expect(listening).toHaveLength(1);
      expect(listening[0]).toContain(`127.0.0.1:${service.port}`);
      expect(listening[0]).toContain(`http://127.0.0.1:${service.port}/docs`);
    });

    it('says each warning once', () => {
      const warnings = lines(service.logs)
        .filter((line) => line.includes(' WARN '))
        .map((line) => line.slice(line.indexOf(' WARN ')));
      expect(warnings.filter((line) => line.includes('ADMIN_TOKEN is unset'))).toHaveLength(1);
      expect(new Set(warnings).size).toBe(warnings.length);
    });

    it('logs readiness failures while the first warm-up runs at debug level, never as ERROR', () => {
      const notReady = lines(service.logs).filter((line) => line.includes('Not ready'));
      expect(notReady.length).toBeGreaterThan(0);
      expect(notReady.every((line) => line.includes(' DEBUG ') && line.includes('warmup'))).toBe(true);
      expect(lines(service.logs).filter((line) => line.includes(' ERROR '))).toEqual([]);
    });

    it('logs each request with method, route, status, duration, cache tier and request id', async () => {
      for (const id of ['req-first', 'req-second']) {
        const response = await service.fetch('/videos/vid_000001', { headers: { 'x-request-id': id } });
        expect(response.status).toBe(200);
      }
      await service.fetch('/no-such-path', { headers: { 'x-request-id': 'req-unknown' } });

      const requestLine = async (id: string) => {
        let found: string | undefined;
        await waitFor(() => (found = lines(service.logs).find((l) => l.includes(`'${id}'`))) !== undefined);
        return found!;
      };
      const second = await requestLine('req-second');
      expect(second).toContain(' DEBUG [Request]');
      expect(second).toMatch(/GET \/videos\/:id 200 [\d.]+ ms/);
      expect(second).toMatch(/method: 'GET'.*route: '\/videos\/:id'.*status: 200.*durationMs: [\d.]+/);
      expect(second).toContain(`cache: 'l1'`);
      expect(await requestLine('req-first')).toMatch(/cache: '(miss|l2)'/);
      // No route matched: the path itself, and no cache was read.
      expect(await requestLine('req-unknown')).toMatch(/route: '\/no-such-path'.*status: 404.*cache: 'none'/);
    });
  });

  it('with the default level, in JSON: the start-up line, and no line per request', async () => {
    const service = new AppProcess({ ...SMALL_EMBEDDED, LOG_FORMAT: 'json' });
    await service.start(120_000);
    try {
      const response = await service.fetch('/videos/vid_000001', {
        headers: { 'x-request-id': 'req-quiet' },
      });
      expect(response.status).toBe(200);
      await service.fetch('/health/live');

      const records = lines(service.logs).map((line) => JSON.parse(line) as LogRecord);
      expect(records.filter((r) => String(r.message).startsWith('Listening on'))).toHaveLength(1);
      expect(records.filter((r) => r.level === 'debug')).toEqual([]);
      expect(service.logs).not.toContain('req-quiet');
    } finally {
      await service.stop();
    }
  }, 180_000);
});
