import 'reflect-metadata';
import { CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import { Controller, Get, Module, Param, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

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

const app = await NestFactory.create<NestFastifyApplication>(BareAppModule, new FastifyAdapter(), {
  logger: ['error', 'warn'],
});
process.once('SIGTERM', () => {
  void app.close().finally(() => process.exit(0));
});
await app.listen(port, '127.0.0.1');
