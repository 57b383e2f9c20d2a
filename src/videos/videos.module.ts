import { Module } from '@nestjs/common';
import { UsersRepository } from '../users/users.repository.js';
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
  controllers: [VideosController, UserVideosController],
  // UsersRepository (stateless) only serves the warm-up's choice of active users.
  providers: [VideosRepository, VideosService, VideosWarmup, UsersRepository],
  exports: [VideosService],
})
export class VideosModule {}
