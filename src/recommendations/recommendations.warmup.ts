import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_SIZE } from '../common/validation/index.js';
import { UsersService } from '../users/users.service.js';
import { WarmupTask } from '../warmup/warmup-task.decorator.js';
import type { WarmupItem } from '../warmup/warmup.types.js';
import { WARMED_USERS } from './recommendations.constants.js';
import { RecommendationsService } from './recommendations.service.js';

/** Warm-up: the first page of the most active users' recommendations (they read them most). */
@Injectable()
export class RecommendationsWarmup {
  constructor(
    private readonly recommendations: RecommendationsService,
    private readonly users: UsersService,
  ) {}

  @WarmupTask({ name: 'user-recommendations' })
  async activeUsers(): Promise<WarmupItem[]> {
    const users = await this.users.mostActive(WARMED_USERS);
    return users.map((id) => ({
      name: `recommendations:${id}`,
      warm: () => this.recommendations.forUser(id, 1, DEFAULT_PAGE_SIZE),
    }));
  }
}
