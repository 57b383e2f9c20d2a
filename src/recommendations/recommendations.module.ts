import { Module } from '@nestjs/common';
import { StaticModule } from '../static/static.module.js';
import { UsersModule } from '../users/users.module.js';
import { RecommendationsCacheListener } from './recommendations-cache.listener.js';
import { RecommendationsController } from './recommendations.controller.js';
import { RecommendationsRepository } from './recommendations.repository.js';
import { RecommendationsService } from './recommendations.service.js';
import { RecommendationsWarmup } from './recommendations.warmup.js';

/**
 * Recommendations (`GET /users/:id/recommendations`), cached in the `recommendations` namespace.
 * Handles `engagement.recorded`; reads its weights through the static module's cached configuration
 * and the most active users through the users module.
 */
@Module({
  imports: [UsersModule, StaticModule],
  controllers: [RecommendationsController],
  providers: [
    RecommendationsRepository,
    RecommendationsService,
    RecommendationsCacheListener,
    RecommendationsWarmup,
  ],
})
export class RecommendationsModule {}
