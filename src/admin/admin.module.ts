import { Inject, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { appConfig, type AppConfig } from '../config/app.config.js';
import { WarmupModule } from '../warmup/warmup.module.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { adminTokenUnset } from './admin.messages.js';
import { AdminController } from './admin.controller.js';
import { CacheInvalidationService } from './cache-invalidation.service.js';
import { ReplicaInvalidation } from './replica-invalidation.js';

/** `GET /admin/cache/stats`, `POST /admin/cache/invalidate`, `POST /admin/cache/warmup`. */
@Module({
  imports: [WarmupModule],
  controllers: [AdminController],
  providers: [AdminTokenGuard, CacheInvalidationService, ReplicaInvalidation],
})
export class AdminModule implements OnApplicationBootstrap {
  constructor(@Inject(appConfig.KEY) private readonly app: Pick<AppConfig, 'adminToken'>) {}

  // Said here, not by the guard: Nest builds one guard per module and controller that uses it,
  // and each one repeated the warning.
  onApplicationBootstrap(): void {
    if (!this.app.adminToken) new Logger('Admin').warn(adminTokenUnset());
  }
}
