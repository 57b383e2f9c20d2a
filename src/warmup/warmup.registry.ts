import { Injectable } from '@nestjs/common';
import { duplicateTask } from './warmup.messages.js';
import type { WarmupItems } from './warmup.types.js';

export interface RegisteredWarmupTask {
  readonly name: string;
  readonly list: () => WarmupItems;
}

/**
 * The warm-up tasks of the application. The explorer fills it from `@WarmupTask` methods at start-up;
 * `register` also serves code that builds tasks at runtime.
 */
@Injectable()
export class WarmupRegistry {
  private readonly tasks = new Map<string, RegisteredWarmupTask>();

  register(name: string, list: () => WarmupItems): void {
    if (this.tasks.has(name)) throw new Error(duplicateTask(name));
    this.tasks.set(name, { name, list });
  }

  all(): readonly RegisteredWarmupTask[] {
    return [...this.tasks.values()];
  }
}
