import { jest } from '@jest/globals';
import { Controller, Get, Injectable, Param } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CacheModule } from './cache.module.js';
import { Cacheable } from './decorators/cacheable.decorator.js';

@Injectable()
class VideosService {
  loads = 0;

  @Cacheable({ namespace: 'videos', key: (id: string) => ['video', id] })
  async find(id: string): Promise<{ id: string; title: string; at: Date }> {
    this.loads++;
    return { id, title: `Video ${id}`, at: new Date(Date.UTC(2026, 0, 1)) };
  }
}

@Controller('videos')
class VideosController {
  constructor(private readonly videos: VideosService) {}

  @Get('plain/:id')
  plain(@Param('id') id: string) {
    return { id, fresh: true };
  }

  @Get(':id')
  find(@Param('id') id: string) {
    return this.videos.find(id);
  }
}

describe('CachedJsonSerializer (a cached value is serialized once for every HTTP hit)', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ prefix: 'json-spec', policies: { videos: { jitter: 0 } } })],
      providers: [VideosService],
      controllers: [VideosController],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());
  afterEach(() => jest.restoreAllMocks());

  const get = (url: string) => app.inject({ method: 'GET', url });

  it('sends the same bytes as JSON.stringify, with the usual JSON content type', async () => {
    const expected = JSON.stringify({ id: 'a', title: 'Video a', at: new Date(Date.UTC(2026, 0, 1)) });
    const miss = await get('/videos/a');
    const hit = await get('/videos/a');
    expect(hit.headers['cache-status']).toBe('vidcache; hit; detail=l1');
    expect(miss.body).toBe(expected);
    expect(hit.body).toBe(expected);
    expect(hit.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(hit.headers['content-length']).toBe(String(Buffer.byteLength(expected)));
  });

  it('does not serialize the cached value again on later hits', async () => {
    await get('/videos/b');
    await get('/videos/b');
    const stringify = jest.spyOn(JSON, 'stringify');
    for (let i = 0; i < 3; i++) expect((await get('/videos/b')).json()).toMatchObject({ id: 'b' });
    expect(stringify.mock.calls.filter(([value]) => (value as { id?: string })?.id === 'b')).toHaveLength(0);
  });

  it('serializes an answer that no cache holds on every request', async () => {
    const stringify = jest.spyOn(JSON, 'stringify');
    expect((await get('/videos/plain/c')).json()).toEqual({ id: 'c', fresh: true });
    expect((await get('/videos/plain/c')).json()).toEqual({ id: 'c', fresh: true });
    expect(stringify.mock.calls.filter(([value]) => (value as { id?: string })?.id === 'c')).toHaveLength(2);
  });
});
