import { SetMetadata } from '@nestjs/common';
import { WARMUP_TASK_METADATA } from './warmup.constants.js';

export interface WarmupTaskOptions {
  /** Unique among tasks; names the task in reports and logs. */
  readonly name: string;
}

/**
 * Marks a provider method as a warm-up task. The method takes no arguments and returns (or resolves
 * to) the list of {@link WarmupItem}s to warm; it is called at the start of every run (on boot, on
 * `WARMUP_CRON`, and on `POST /admin/cache/warmup`), so the list can depend on current data.
 *
 * Each item's `warm()` should read through the cache (a `@Cacheable` method or `cache.wrap`). On the
 * replica holding the warm-up lock it loads from the database and fills L2 and L1; on the others it
 * reads L2 and fills their L1. An item that throws or times out is logged and counted; the run goes
 * on. The provider must be a singleton (the default scope) in a module of the application.
 *
 * @example
 * \@Injectable()
 * export class VideosWarmup {
 *   constructor(private readonly videos: VideosService) {}
 *
 *   \@WarmupTask({ name: 'popular-videos' })
 *   async popular(): Promise<WarmupItem[]> {
 *     const categories = await this.videos.categories();
 *     return categories.map((category) => ({
 *       name: `popular:${category}`,
 *       warm: () => this.videos.popular({ category }),
 *     }));
 *   }
 * }
 */
export const WarmupTask = (options: WarmupTaskOptions): MethodDecorator =>
  SetMetadata(WARMUP_TASK_METADATA, options);
