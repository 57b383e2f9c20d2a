import { Injectable } from '@nestjs/common';
import { WarmupTask } from '../warmup/warmup-task.decorator.js';
import type { WarmupItem } from '../warmup/warmup.types.js';
import { UsersService } from './users.service.js';

/** How many of the most active users' profiles each warm-up loads. */
export const WARM_PROFILES = 100;

/** Warm-up: the most active users' public profiles (the users read most are the ones who act most). */
@Injectable()
export class UsersWarmup {
  constructor(private readonly users: UsersService) {}

  @WarmupTask({ name: 'user-profiles' })
  async profiles(): Promise<WarmupItem[]> {
    const active = await this.users.mostActive(WARM_PROFILES);
    return active.map((id) => ({ name: `profile:${id}`, warm: () => this.users.find(id) }));
  }
}
