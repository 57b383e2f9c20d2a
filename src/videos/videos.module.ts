import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { UserVideosController } from './user-videos.controller.js';
import { VideosController } from './videos.controller.js';
import { VideosRepository } from './videos.repository.js';
import { VideosService } from './videos.service.js';
import { VideosWarmup } from './videos.warmup.js';

/**
 * Videos: metadata, processing status, a user's list, popular and search, cached end to end.
 * Emits `video.created`, `video.updated` and `video.deleted` (see `common/events/domain-events.ts`)
 * after each commit, so the modules caching data derived from videos evict their own entries.
 */
@Module({
  // UsersService tells the warm-up which users are most active.
  imports: [UsersModule],
  controllers: [VideosController, UserVideosController],
  providers: [VideosRepository, VideosService, VideosWarmup],
  exports: [VideosService],
})
export class VideosModule {}
