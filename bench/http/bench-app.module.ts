import { Module, type DynamicModule } from '@nestjs/common';
import { APP_CACHE_NAMESPACES } from '../../src/app.cache-namespaces.js';
import { CacheModule } from '../../src/cache/index.js';
import { DatabaseModule } from '../../src/database/index.js';
import { VideosRepository } from '../../src/videos/videos.repository.js';
import { L2_ONLY_NAMESPACE, L2_ONLY_POLICY } from '../sections/redis-hits.js';
import { BenchController } from './bench.controller.js';
import { BenchVideosService } from './bench-videos.service.js';

export interface BenchAppOptions {
  readonly redisUrl: string;
  /** A prefix of this run's own, removed afterwards. */
  readonly prefix: string;
}

/**
 * The app of the HTTP section: the project's CacheModule (L1 + Redis, the app's namespaces plus the
 * L1-less namespace) and DatabaseModule (configured from the environment: the bench runs it on an
 * in-memory PGlite, seeded at start), and one controller serving every compared route.
 */
@Module({})
export class BenchAppModule {
  static register(options: BenchAppOptions): DynamicModule {
    return {
      module: BenchAppModule,
      imports: [
        CacheModule.forRoot({
          prefix: options.prefix,
          redisUrl: options.redisUrl,
          namespaces: APP_CACHE_NAMESPACES,
          policies: { [L2_ONLY_NAMESPACE]: L2_ONLY_POLICY },
        }),
        DatabaseModule,
      ],
      controllers: [BenchController],
      providers: [VideosRepository, BenchVideosService],
    };
  }
}
