import { Module } from '@nestjs/common';
import { WarmupModule } from '../warmup/warmup.module.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { AdminController } from './admin.controller.js';
import { CacheInvalidationService } from './cache-invalidation.service.js';
import { ReplicaInvalidation } from './replica-invalidation.js';

/** `GET /admin/cache/stats`, `POST /admin/cache/invalidate`, `POST /admin/cache/warmup`. */
@Module({
  imports: [WarmupModule],
  controllers: [AdminController],
  providers: [AdminTokenGuard, CacheInvalidationService, ReplicaInvalidation],
})
export class AdminModule {}
