import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_SIZE } from '../common/validation/index.js';
import { UsersService } from '../users/users.service.js';
import { WarmupTask } from '../warmup/warmup-task.decorator.js';
import type { WarmupItem } from '../warmup/warmup.types.js';
import { VideosService } from './videos.service.js';

/** Users whose first page of videos is warmed: the most active of the last week. */
export const WARMED_ACTIVE_USERS = 50;

/**
 * What warm-up covers for videos: `GET /videos/popular` (default limit) for every
 * category and over all of them, and the first page of the most active users' videos. Each item
 * reads through the cached service methods, so it fills L2 (on the replica holding the lock) and L1.
 */
@Injectable()
export class VideosWarmup {
  constructor(
    private readonly videos: VideosService,
    private readonly users: UsersService,
  ) {}

  @WarmupTask({ name: 'popular-videos' })
  async popular(): Promise<WarmupItem[]> {
    const categories = await this.videos.categories();
    return [
      { name: 'popular:all-categories', warm: () => this.videos.popular(undefined, DEFAULT_PAGE_SIZE) },
      ...categories.map((category) => ({
        name: `popular:${category}`,
        warm: () => this.videos.popular(category, DEFAULT_PAGE_SIZE),
      })),
    ];
  }

  @WarmupTask({ name: 'active-users-videos' })
  async activeUsers(): Promise<WarmupItem[]> {
    const users = await this.users.mostActive(WARMED_ACTIVE_USERS);
    return users.map((id) => ({
      name: `user-videos:${id}`,
      warm: () => this.videos.listByUser(id, 1, DEFAULT_PAGE_SIZE),
    }));
  }
}
