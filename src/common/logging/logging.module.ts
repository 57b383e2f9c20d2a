import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { installRequestContext } from './request-context.js';
import { installRequestLog } from './request-log.js';

@Injectable()
class RequestContextHooks implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    installRequestContext(fastify);
    installRequestLog(fastify);
  }
}

/**
 * Request ids: taken from `X-Request-Id` when valid, generated otherwise, echoed in the response,
 * and attached to every log line of the request by `AppLogger` (see `createAppLogger`). With the
 * debug level on, one line per request as well (`installRequestLog`).
 */
@Module({ providers: [RequestContextHooks] })
export class LoggingModule {}
