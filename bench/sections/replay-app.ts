import { APP_CACHE_NAMESPACES } from '../../src/app.cache-namespaces.js';
import { CacheStack } from '../../src/cache/cache-stack.js';
import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Cacheable,
  CacheContext,
  CacheModule,
  HybridCacheService,
  type CacheModuleOptions,
  type CacheOutcome,
} from '../../src/cache/index.js';
import { VIDEO_STATUS_NAMESPACE } from '../../src/videos/videos.constants.js';
import type { Video, VideoStatusInfo } from '../../src/videos/videos.repository.js';
import { VideosRepository } from '../../src/videos/videos.repository.js';
import {
  PredictiveWarmer,
  PREDICTIVE_WARMING_OPTIONS,
  type PredictiveWarmingOptions,
} from '../../src/warmup/predictive-warmer.js';

export const VIDEO_NAMESPACE = 'video';

/** Injection token of the run's {@link SourceCalls}. */
const SOURCE_CALLS = Symbol('SOURCE_CALLS');

/**
 * Where the replay counts source calls: in total (preloads included) and per read, by the
 * read's outcome record, so that a read that joined another's load is not counted as calling
 * the source itself.
 */
export class SourceCalls {
  total = 0;
  private readonly byRead = new WeakSet<readonly CacheOutcome[]>();

  record(read: readonly CacheOutcome[]): void {
    this.total++;
    this.byRead.add(read);
  }

  calledBy(read: readonly CacheOutcome[]): boolean {
    return this.byRead.has(read);
  }
}

/**
 * The two reads of a video page, as the app's `VideosService` makes them: the video (namespace
 * `video`) and its processing status (namespace `video-status`), both `@Cacheable` so that the
 * predictive warmer sees them.
 */
@Injectable()
export class ReplayPages {
  constructor(
    private readonly repository: VideosRepository,
    private readonly context: CacheContext,
    @Inject(SOURCE_CALLS) private readonly calls: SourceCalls,
  ) {}

  @Cacheable({ namespace: VIDEO_NAMESPACE, key: (id: string) => ['video', id] })
  video(id: string): Promise<Video | null> {
    this.calls.record(this.context.outcomes());
    return this.repository.findById(id);
  }

  @Cacheable({ namespace: VIDEO_STATUS_NAMESPACE, key: (id: string) => ['status', id] })
  status(id: string): Promise<VideoStatusInfo | null> {
    this.calls.record(this.context.outcomes());
    return this.repository.getStatus(id);
  }
}

@Module({})
class ReplayAppModule {
  static register(
    cache: CacheModuleOptions,
    repository: VideosRepository,
    calls: SourceCalls,
    warming: Partial<PredictiveWarmingOptions> & { enabled: boolean },
  ): DynamicModule {
    return {
      module: ReplayAppModule,
      imports: [CacheModule.forRoot({ namespaces: APP_CACHE_NAMESPACES, ...cache })],
      providers: [
        { provide: VideosRepository, useValue: repository },
        { provide: SOURCE_CALLS, useValue: calls },
        { provide: PREDICTIVE_WARMING_OPTIONS, useValue: warming },
        ReplayPages,
        PredictiveWarmer,
      ],
    };
  }
}

export interface ReplayApp {
  readonly pages: ReplayPages;
  readonly cache: HybridCacheService;
  /** The layers behind the cache: the replay reads its L1 slice's bounds from it. */
  readonly stack: CacheStack;
  readonly context: CacheContext;
  readonly warmer: PredictiveWarmer;
  readonly calls: SourceCalls;
  close(): Promise<void>;
}

/**
 * A Nest application context as the service runs one: the project's `CacheModule` (L1 bounded as
 * given, Redis as L2), the pages service, and the predictive warmer, on or off.
 */
export async function startReplayApp(
  cache: CacheModuleOptions,
  repository: VideosRepository,
  warming: Partial<PredictiveWarmingOptions> & { enabled: boolean },
): Promise<ReplayApp> {
  const calls = new SourceCalls();
  const app = await NestFactory.createApplicationContext(
    ReplayAppModule.register(cache, repository, calls, warming),
    { logger: ['error', 'warn'] },
  );
  return {
    pages: app.get(ReplayPages),
    cache: app.get(HybridCacheService),
    stack: app.get(CacheStack),
    context: app.get(CacheContext),
    warmer: app.get(PredictiveWarmer),
    calls,
    close: () => app.close(),
  };
}
