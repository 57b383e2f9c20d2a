import { Injectable, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { jsonOf } from './immutable-value.js';

/**
 * Makes Fastify serialize replies through {@link jsonOf}: a cached value (immutable) is turned into
 * JSON once and the same string is sent on every later hit; anything else is `JSON.stringify`-ed,
 * as Fastify's default serializer does. Routes with a response schema keep their own serializer.
 */
@Injectable()
export class CachedJsonSerializer {
  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  /** Call before the app listens. Returns false when the app does not run on Fastify. */
  install(): boolean {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter || adapter.getType() !== 'fastify') return false;
    adapter.getInstance<FastifyInstance>().setReplySerializer((payload) => jsonOf(payload));
    return true;
  }
}
