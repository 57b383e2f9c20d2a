import { Body, Controller, Get, Injectable, Param, Post } from '@nestjs/common';
import { FastifyAdapter, RouteConfig, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacheModule } from './cache.module.js';
import { Cacheable } from './decorators/cacheable.decorator.js';

@Injectable()
class ItemsService {
  loads = 0;

  @Cacheable({ namespace: 'items', key: (id: string) => ['item', id] })
  async find(id: string): Promise<{ id: string }> {
    this.loads++;
    return { id };
  }

  @Cacheable({ namespace: 'others', key: (id: string) => ['other', id] })
  async other(id: string): Promise<{ id: string }> {
    return { id };
  }
}

@Controller('items')
class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @Get('plain')
  plain(): string {
    return 'no cache here';
  }

  @Get('quiet/:id')
  @RouteConfig({ cacheStatus: false })
  quiet(@Param('id') id: string) {
    return this.items.find(id);
  }

  /** Reads an entry the client already has in L1 and one it may not: the response is as cached as its least cached part. */
  @Get('both/:id')
  async both(@Param('id') id: string) {
    return { item: await this.items.find(id), other: await this.items.other(id) };
  }

  @Get('failing/:id')
  async failing(@Param('id') id: string): Promise<never> {
    await this.items.find(id);
    throw new Error('the handler failed after the cache answered');
  }

  /** Answers at once and reads the cache afterwards: that late outcome must not touch the sent reply. */
  @Get('late/:id')
  late(@Param('id') id: string): string {
    setTimeout(() => void this.items.find(`late-${id}`), 5);
    return 'sent';
  }

  @Get(':id')
  find(@Param('id') id: string) {
    return this.items.find(id);
  }

  /** A body is parsed in the socket's callbacks: the record must still reach the handler. */
  @Post('lookup')
  lookup(@Body() body: { id: string }) {
    return this.items.find(body.id);
  }
}

describe('CacheStatusHooks (Cache-Status on Fastify, no interceptor)', () => {
  let app: NestFastifyApplication;
  let items: ItemsService;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot({
          prefix: 'hooks-spec',
          policies: { items: { jitter: 0 }, others: { jitter: 0 } },
        }),
      ],
      providers: [ItemsService],
      controllers: [ItemsController],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    items = app.get(ItemsService);
  });
  afterAll(() => app.close());

  const get = (url: string) => app.inject({ method: 'GET', url });

  it('names the tier that answered: a miss that was stored, then an L1 hit', async () => {
    const first = await get('/items/a');
    const second = await get('/items/a');
    expect(first.headers['cache-status']).toBe('vidcache; fwd=miss; stored');
    expect(second.headers['cache-status']).toBe('vidcache; hit; detail=l1');
    expect(second.json()).toEqual({ id: 'a' });
  });

  it('sends no header on a route that read no cache', async () => {
    const response = await get('/items/plain');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-status']).toBeUndefined();
  });

  it('lets a route opt out with @RouteConfig({ cacheStatus: false })', async () => {
    await get('/items/q');
    const response = await get('/items/quiet/q');
    expect(response.json()).toEqual({ id: 'q' });
    expect(response.headers['cache-status']).toBeUndefined();
  });

  it('names the least cached part when a request reads several entries', async () => {
    await get('/items/b');
    const response = await get('/items/both/b');
    expect(response.headers['cache-status']).toBe('vidcache; fwd=miss; stored');
    expect((await get('/items/both/b')).headers['cache-status']).toBe('vidcache; hit; detail=l1');
  });

  it('keeps the record across body parsing (POST over a real socket)', async () => {
    await get('/items/p');
    // inject() hands the body over synchronously; a socket delivers it in callbacks of its own.
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    // The body follows the headers 20 ms later, so it is parsed in a later socket callback.
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        await sleep(20);
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ id: 'p' })));
        controller.close();
      },
    });
    const response = await fetch(`http://127.0.0.1:${address.port}/items/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-status')).toBe('vidcache; hit; detail=l1');
  });

  it('keeps the header on an error response after the cache answered', async () => {
    await get('/items/f');
    const response = await get('/items/failing/f');
    expect(response.statusCode).toBe(500);
    expect(response.headers['cache-status']).toBe('vidcache; hit; detail=l1');
  });

  it('gives each of many concurrent requests its own record', async () => {
    await get('/items/hot');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => get(i % 2 === 0 ? '/items/hot' : `/items/cold-${i}`)),
    );
    responses.forEach((response, i) =>
      expect(response.headers['cache-status']).toBe(
        i % 2 === 0 ? 'vidcache; hit; detail=l1' : 'vidcache; fwd=miss; stored',
      ),
    );
  });

  it('drops an outcome recorded after the response was sent', async () => {
    const loadsBefore = items.loads;
    const response = await get('/items/late/x');
    expect(response.body).toBe('sent');
    await sleep(30);
    expect(items.loads).toBe(loadsBefore + 1);
  });
});
