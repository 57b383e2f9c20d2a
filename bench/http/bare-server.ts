import 'reflect-metadata';
import { CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import { Controller, Get, Module, Param, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import {
  pickRequestId,
  REQUEST_ID_HEADER,
  runWithRequestId,
} from '../../src/common/logging/request-context.js';
import { ReplyBatch } from '../../src/cache/hit-lane.js';
import { HttpDurationHistogram } from '../../src/metrics/http-duration.histogram.js';
import { HTTP_DURATION_BUCKETS } from '../../src/metrics/metrics.constants.js';

/**
 * What the HTTP section compares the service with: a bare NestJS + Fastify app, nothing but Nest's
 * own pipeline, answering the object it was given (`BENCH_CONSTANT_JSON`: the service's answer for
 * one video, so both send the same bytes). Run in a process of its own on `BENCH_PORT`.
 */
const port = Number(process.env.BENCH_PORT);
const constantJson = process.env.BENCH_CONSTANT_JSON;
if (!Number.isInteger(port) || !constantJson)
  throw new Error('bare server: BENCH_PORT and BENCH_CONSTANT_JSON are required');
const constant = JSON.parse(constantJson) as Record<string, unknown>;
const busyNs = BigInt(Math.round(Number(process.env.BENCH_BUSY_US ?? 0) * 1000));

@Controller()
class BareController {
  @Get('ready')
  ready(): string {
    return 'ok';
  }

  /** The limit: the same object serialized on every request, with the route's `:id` parsed. */
  @Get('constant/:id')
  constantRoute(@Param('id') _id: string): Record<string, unknown> {
    return constant;
  }

  /**
   * A diagnostic, not a comparison: the constant route after `BENCH_BUSY_US` µs of busy CPU, to
   * show how this machine's throughput answers a fixed extra cost per request.
   */
  @Get('constant-busy/:id')
  constantBusyRoute(@Param('id') _id: string): Record<string, unknown> {
    const end = process.hrtime.bigint() + busyNs;
    while (process.hrtime.bigint() < end);
    return constant;
  }

  /**
   * What users reach for: Nest's `CacheInterceptor` on `@nestjs/cache-manager`'s default in-memory
   * store, keyed by URL. After the first request for an id, the handler is not called.
   */
  @Get('cache-interceptor/:id')
  @UseInterceptors(CacheInterceptor)
  cached(@Param('id') id: string): Record<string, unknown> {
    return { ...constant, id };
  }
}

@Module({
  imports: [CacheModule.register({ ttl: 3_600_000 })],
  controllers: [BareController],
})
class BareAppModule {}

/**
 * A diagnostic ladder, not a comparison: from the bare constant route towards what the service's
 * L1-hit route does, one step at a time, so the bench shows what each step costs on this machine.
 *
 * - `lane-floor`: the constant's JSON, serialized once, sent from an `onRequest` hook before Nest's
 *   pipeline, as the service's hit lane sends an L1 value (`src/cache/hit-lane.ts`);
 * - `lane-batched`: the same (with a `Cache-Status`), each answer sent once the event loop's turn is
 *   over, together with the turn's others, through the hit lane's own `ReplyBatch`: what that
 *   batching alone is worth to a bare app;
 * - `lane-headers`: the same with the five headers an L1 hit of the service carries and the bare
 *   route does not (`X-Request-Id`, `X-RateLimit-Limit`, `-Remaining`, `-Reset`, `Cache-Status`),
 *   values of the same length;
 * - `lane-hooks`: the same, with the request id made and the request run in its
 *   `AsyncLocalStorage` context by the service's own code (`src/common/logging/request-context.ts`)
 *   in an `onRequest` hook of its own, and the service's HTTP duration histogram recorded in an
 *   `onResponse` hook, as the service does for every request.
 *
 * What the service's route does beyond `lane-hooks` (the rate limiter's count, the id's validation,
 * the L1 look-up, the `Cache-Status` and protocol hooks, and everything else its process runs) is
 * the difference between this last step and the service's row.
 */
const constantBody = JSON.stringify(constant);
const JSON_TYPE = 'application/json; charset=utf-8';
const CACHE_STATUS_L1 = 'vidcache; hit; detail=l1';
const RATE_LIMIT = 1_000_000;
let remaining = RATE_LIMIT;
type Hook = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void;

const sendConstant = (reply: FastifyReply) => void reply.type(JSON_TYPE).send(constantBody);
/** Sends the constant with the L1 hit's headers; `requestId` when no hook has set that one yet. */
const sendWithHeaders = (reply: FastifyReply, requestId?: string) => {
  remaining = remaining > 0 ? remaining - 1 : RATE_LIMIT;
  if (requestId !== undefined) void reply.header(REQUEST_ID_HEADER, requestId);
  void reply
    .header('X-RateLimit-Limit', RATE_LIMIT)
    .header('X-RateLimit-Remaining', remaining)
    .header('X-RateLimit-Reset', 60)
    .header('Cache-Status', CACHE_STATUS_L1);
  sendConstant(reply);
};
let counter = 0;
const requestIdLike = () => `0b6f2c1e-6a43-4d6e-9c5b-${(counter++).toString(16).padStart(12, '0')}`;
const httpDuration = new HttpDurationHistogram(
  { name: 'bench_http_duration_seconds', help: 'lane-hooks durations', registers: [new Registry()] },
  HTTP_DURATION_BUCKETS,
);
/** The ladder's routes, registered on Fastify directly: each is answered by its own hooks. */
const batch = new ReplyBatch((error) => console.error(error));
const LADDER: Record<string, { onRequest: Hook[]; onResponse?: Hook[] }> = {
  '/lane-floor/:id': { onRequest: [(_request, reply) => sendConstant(reply)] },
  '/lane-batched/:id': { onRequest: [(_request, reply) => batch.add(reply, constantBody)] },
  '/lane-headers/:id': { onRequest: [(_request, reply) => sendWithHeaders(reply, requestIdLike())] },
  '/lane-hooks/:id': {
    onRequest: [
      (request, reply, done) => {
        const requestId = pickRequestId(request.headers[REQUEST_ID_HEADER]);
        void reply.header(REQUEST_ID_HEADER, requestId);
        runWithRequestId(requestId, done);
      },
      (_request, reply) => sendWithHeaders(reply),
    ],
    onResponse: [
      (request, reply, done) => {
        httpDuration.record(
          request.method,
          request.routeOptions.url!,
          reply.statusCode,
          reply.elapsedTime / 1000,
        );
        done();
      },
    ],
  },
};

const app = await NestFactory.create<NestFastifyApplication>(BareAppModule, new FastifyAdapter(), {
  logger: ['error', 'warn'],
});
const fastify = app.getHttpAdapter().getInstance();
for (const [url, hooks] of Object.entries(LADDER))
  fastify.route({ method: 'GET', url, ...hooks, handler: () => constantBody });
process.once('SIGTERM', () => {
  void app.close().finally(() => process.exit(0));
});
await app.listen(port, '127.0.0.1');
