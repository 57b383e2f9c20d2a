import { Module } from '@nestjs/common';
import { AdminTokenGuard } from '../admin/admin-token.guard.js';
import { StaticController } from './static.controller.js';
import { StaticRepository } from './static.repository.js';
import { StaticService } from './static.service.js';
import { StaticWarmup } from './static.warmup.js';
import { SystemController } from './system.controller.js';
import { SystemService } from './system.service.js';

/**
 * Templates, configuration (`PUT` is admin only), API documentation by version and system status,
 * all in the `static` namespace; HTTP caching (`ETag`, `Cache-Control`, `304`) for the first three.
 */
@Module({
  controllers: [StaticController, SystemController],
  providers: [StaticRepository, StaticService, SystemService, StaticWarmup, AdminTokenGuard],
  // Configuration entries, read through the cache by the features they configure.
  exports: [StaticService],
})
export class StaticModule {}
