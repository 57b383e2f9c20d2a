import { Module } from '@nestjs/common';
import { QueueCacheListener } from './queue-cache.listener.js';
import { QueueController } from './queue.controller.js';
import { QueueRepository } from './queue.repository.js';
import { QueueService } from './queue.service.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';
import { UsersWarmup } from './users.warmup.js';

/**
 * Users (`user` namespace: public profiles, processing queues) and sessions (`session` namespace).
 * Email and settings are never cached.
 */
@Module({
  controllers: [UsersController, SessionsController, QueueController],
  providers: [
    UsersRepository,
    SessionsRepository,
    QueueRepository,
    UsersService,
    SessionsService,
    QueueService,
    QueueCacheListener,
    UsersWarmup,
  ],
  exports: [UsersService],
})
export class UsersModule {}
