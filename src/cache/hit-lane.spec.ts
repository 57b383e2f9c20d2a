import { jest } from '@jest/globals';
import {
  Controller,
  Get,
  Header,
  Injectable,
  NotFoundException,
  Param,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CacheModule } from './cache.module.js';
import { CacheStack } from './cache-stack.js';
import { fullKey } from './cache-keys.js';
import { Cacheable } from './decorators/cacheable.decorator.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyReply } from 'fastify';
import { HitLane, HitLaneError, ReplyBatch, ServeL1Hits, type HitLaneGuard } from './hit-lane.js';

@Injectable()
class ItemsService {
  loads = 0;

  @Cacheable({ namespace: 'items', key: (id: string) => ['item', id] })
  async find(id: string): Promise<{ id: string } | null> {
    this.loads++;
    return id.startsWith('none') ? null : { id };
  }

  /** A value L1 cannot freeze (it holds a Buffer), so every read gets a clone. */
  @Cacheable({ namespace: 'items', key: (id: string) => ['blob', id] })
  async blob(id: string): Promise<{ id: string; bytes: Buffer }> {
    return { id, bytes: Buffer.from([1, 2, 3]) };
  }
}

@Controller('blobs')
class BlobsController {
  constructor(private readonly items: ItemsService) {}

  @Get(':id')
  @ServeL1Hits({ method: 'ItemsService.blob', args: ({ id }) => [id] })
  blob(@Param('id') id: string) {
    return this.items.blob(id);
  }
}

/** Lets the lane answer unless the request says `x-deny: 1`; counts what it was asked. */
@Injectable()
class LaneAwareGuard implements HitLaneGuard {
  static asked = 0;
  static activated = 0;
  /** The requests the lane left to the pipeline after asking, as their URLs. */
  static handedOff: string[] = [];
  canActivate(): boolean {
    LaneAwareGuard.activated++;
    return true;
  }
  admitHit(request: { headers: Record<string, unknown> }): boolean {
    LaneAwareGuard.asked++;
    return request.headers['x-deny'] !== '1';
  }
  handOff(request: { url: string }): void {
    LaneAwareGuard.handedOff.push(request.url);
  }
}

@Injectable()
class BlindGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Injectable()
class PassThrough implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler) {
    return next.handle();
  }
}

const lane = (method = 'ItemsService.find') =>
  ServeL1Hits({ method, args: ({ id }) => (/^[a-z0-9-]+$/.test(id!) ? [id] : undefined) });

/** A controller with one lane route, decorated with `extra` as well. */
function itemsController(extra: MethodDecorator[] = [], method?: string): Type {
  @Controller('items')
  class ItemsController {
    constructor(private readonly items: ItemsService) {}

    @Get(':id')
    @lane(method)
    async find(@Param('id') id: string) {
      const item = await this.items.find(id);
      if (item === null) throw new NotFoundException(`no item ${id}`);
      return item;
    }
  }
  for (const decorate of extra) {
    const descriptor = Object.getOwnPropertyDescriptor(ItemsController.prototype, 'find')!;
    decorate(ItemsController.prototype, 'find', descriptor);
  }
  return ItemsController;
}

async function start(controller: Type): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [CacheModule.forRoot({ prefix: 'lane-spec', policies: { items: { jitter: 0 } } })],
    controllers: [controller],
    providers: [ItemsService, LaneAwareGuard],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('HitLane', () => {
  describe('on a route whose guards can decide for it', () => {
    let app: NestFastifyApplication;
    let items: ItemsService;
    beforeAll(async () => {
      app = await start(itemsController([UseGuards(LaneAwareGuard)]));
      items = app.get(ItemsService);
    });
    afterAll(() => app?.close());
    const get = (url: string, headers: Record<string, string> = {}) =>
      app.inject({ method: 'GET', url, headers });

    it('answers a hit without the handler, and the handler answers a miss', async () => {
      expect(app.get(HitLane).servedRoutes).toEqual(['GET /items/:id']);
      const miss = await get('/items/a');
      expect(miss.json()).toEqual({ id: 'a' });
      expect(items.loads).toBe(1);
      const activatedBefore = LaneAwareGuard.activated;
      const hit = await get('/items/a');
      expect(hit.statusCode).toBe(200);
      expect(hit.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(hit.headers['cache-status']).toBe('vidcache; hit; detail=l1');
      expect(hit.body).toBe(miss.body);
      // The guard decided through admitHit; the pipeline (and its canActivate) never ran.
      expect(LaneAwareGuard.activated).toBe(activatedBefore);
      expect(items.loads).toBe(1);
      // The guard was told of the miss it had admitted (the first read), not of the answered hit.
      expect(LaneAwareGuard.handedOff).toEqual(['/items/a']);
    });

    it('serializes an entry once and keeps the JSON on it, so later hits send it as it is', async () => {
      await get('/items/kept');
      const stack = app.get(CacheStack);
      const entry = () =>
        stack.l1.lookup('items', fullKey('lane-spec', 'items', ['item', 'kept']), Date.now())!;
      // The handler's answer was serialized by Nest's serializer, which keeps nothing on the entry.
      expect(entry().json).toBeUndefined();
      const first = await get('/items/kept');
      expect(first.headers['cache-status']).toBe('vidcache; hit; detail=l1');
      expect(entry().json).toBe(first.body);
      const stringify = jest.spyOn(JSON, 'stringify');
      try {
        const second = await get('/items/kept');
        expect(second.body).toBe(first.body);
        expect(stringify).not.toHaveBeenCalled();
      } finally {
        stringify.mockRestore();
      }
    });

    it('hands the request to the pipeline when a guard says no there, or the value is not served', async () => {
      await get('/items/b');
      const activatedBefore = LaneAwareGuard.activated;
      const denied = await get('/items/b', { 'x-deny': '1' });
      expect(denied.statusCode).toBe(200);
      expect(LaneAwareGuard.activated).toBe(activatedBefore + 1);

      expect((await get('/items/none-1')).statusCode).toBe(404);
      const cachedNull = await get('/items/none-1');
      expect(cachedNull.statusCode).toBe(404);
      expect(cachedNull.headers['cache-status']).toBe('vidcache; hit; detail=l1');
      expect(LaneAwareGuard.activated).toBe(activatedBefore + 3);
      // Every request the guard was asked about and the lane did not answer: a miss, the refusal,
      // a miss and a value the lane does not serve.
      expect(LaneAwareGuard.handedOff.slice(-4)).toEqual([
        '/items/b',
        '/items/b',
        '/items/none-1',
        '/items/none-1',
      ]);
    });

    it('hands over what its args function refuses, and requests with a body', async () => {
      const activatedBefore = LaneAwareGuard.activated;
      expect((await get('/items/UPPER')).statusCode).toBe(200);
      await get('/items/c');
      await app.inject({ method: 'GET', url: '/items/c', headers: { 'content-length': '2' }, payload: '{}' });
      expect(LaneAwareGuard.activated).toBe(activatedBefore + 3);
    });
  });

  it('answers a value cloned on every read as its handler does, from the clone', async () => {
    const app = await start(BlobsController);
    try {
      const get = () => app.inject({ method: 'GET', url: '/blobs/x' });
      const fromHandler = await get();
      const fromLane = await get();
      expect(fromLane.headers['cache-status']).toBe('vidcache; hit; detail=l1');
      expect(fromLane.body).toBe(fromHandler.body);
      expect((await get()).body).toBe(fromHandler.body);
    } finally {
      await app.close();
    }
  });

  describe('refuses to start when it would skip part of a route', () => {
    const refusal = async (controller: Type) => {
      const started = start(controller);
      await expect(started).rejects.toBeInstanceOf(HitLaneError);
      return started.catch((error: Error) => error.message);
    };

    it('a guard that cannot decide for it', async () => {
      expect(await refusal(itemsController([UseGuards(BlindGuard)]))).toMatch(
        /GET \/items\/:id .*guard BlindGuard cannot decide for the lane/,
      );
    });

    it('an interceptor, or a @Header the handler would set', async () => {
      expect(await refusal(itemsController([UseInterceptors(PassThrough)]))).toMatch(/interceptors/);
      expect(await refusal(itemsController([Header('x-extra', '1')]))).toMatch(/__headers__|header/i);
    });

    it('a method that is not @Cacheable', async () => {
      expect(await refusal(itemsController([], 'ItemsService.nothing'))).toMatch(
        /no @Cacheable method ItemsService\.nothing/,
      );
    });
  });
});

/** A Fastify reply double: records what was sent, and in which request context. */
function replyDouble(context: AsyncLocalStorage<string>, fails = false) {
  const sent: { headers: Record<string, string>; body?: string; context?: string; destroyed: boolean } = {
    headers: {},
    destroyed: false,
  };
  const reply = {
    header(name: string, value: string) {
      sent.headers[name] = value;
      return reply;
    },
    type(value: string) {
      sent.headers['content-type'] = value;
      return reply;
    },
    send(body: string) {
      if (fails) throw new Error('socket gone');
      sent.body = body;
      sent.context = context.getStore();
      return reply;
    },
    raw: { destroy: () => void (sent.destroyed = true) },
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

describe('ReplyBatch', () => {
  const context = new AsyncLocalStorage<string>();
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it("sends a turn's answers together once the turn is over, outside any request's context", async () => {
    const batch = new ReplyBatch(() => undefined);
    const replies = ['a', 'b', 'c'].map((id) => {
      const double = replyDouble(context);
      context.run(`request-${id}`, () => batch.add(double.reply, `{"id":"${id}"}`));
      return double.sent;
    });
    // Nothing is written while the turn's requests are still being read.
    expect(replies.map((sent) => sent.body)).toEqual([undefined, undefined, undefined]);
    expect(batch.size).toBe(3);
    await nextTurn();
    expect(replies.map((sent) => sent.body)).toEqual(['{"id":"a"}', '{"id":"b"}', '{"id":"c"}']);
    for (const sent of replies) {
      expect(sent.headers).toEqual({
        'cache-status': 'vidcache; hit; detail=l1',
        'content-type': 'application/json; charset=utf-8',
      });
      // Not the first request's context, which scheduled the send: a log line must not take its id.
      expect(sent.context).toBeUndefined();
    }
    expect(batch.size).toBe(0);
    // The next turn starts a batch of its own.
    const later = replyDouble(context);
    batch.add(later.reply, '{}');
    await nextTurn();
    expect(later.sent.body).toBe('{}');
  });

  it('still sends the others when one answer fails, reports it, and closes that connection', async () => {
    const errors: unknown[] = [];
    const batch = new ReplyBatch((error) => errors.push(error));
    const first = replyDouble(context);
    const failing = replyDouble(context, true);
    const last = replyDouble(context);
    batch.add(first.reply, '1');
    batch.add(failing.reply, '2');
    batch.add(last.reply, '3');
    await nextTurn();
    expect([first.sent.body, last.sent.body]).toEqual(['1', '3']);
    expect(failing.sent.destroyed).toBe(true);
    expect(errors).toEqual([new Error('socket gone')]);
  });
});
