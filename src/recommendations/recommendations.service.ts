import { Injectable, Logger } from '@nestjs/common';
import { CacheConfig, Cacheable } from '../cache/index.js';
import type { Page } from '../common/validation/index.js';
import { videoTag } from '../common/events/domain-events.js';
import { StaticService } from '../static/static.service.js';
import { weightsOf } from './recommendation-weights.js';
import { invalidWeights } from './recommendations.messages.js';
import {
  RECOMMENDATIONS_NAMESPACE,
  WEIGHTS_CONFIG_KEY,
  recommendationsKey,
} from './recommendations.constants.js';
import { RecommendationsRepository, type ScoredVideo } from './recommendations.repository.js';

export type RecommendationPage = Page<ScoredVideo>;

/**
 * Videos recommended to a user, cached per page in the `recommendations` namespace. Each page is
 * tagged with its videos, so the videos module's evictions (an update or a delete) reach it; the
 * user's own new events evict every page of theirs, and new weights every page of everyone's
 * (`RecommendationsCacheListener`). Other users' new events show within the namespace's TTL.
 */
@CacheConfig({ namespace: RECOMMENDATIONS_NAMESPACE })
@Injectable()
export class RecommendationsService {
  private readonly logger = new Logger(RecommendationsService.name);
  /** The last unusable entry warned about: each one is said once, not on every load. */
  private warned: string | undefined;

  constructor(
    private readonly repository: RecommendationsRepository,
    private readonly staticContent: StaticService,
  ) {}

  /** One page of the user's recommendations, best first; null when the user does not exist. */
  @Cacheable({
    key: recommendationsKey,
    tags: (result: RecommendationPage | null) => result?.items.map((video) => videoTag(video.id)) ?? [],
  })
  async forUser(userId: string, page: number, perPage: number): Promise<RecommendationPage | null> {
    const entry = await this.staticContent.config(WEIGHTS_CONFIG_KEY);
    const { weights, invalid } = weightsOf(entry?.value);
    const warning = invalid.length > 0 ? invalidWeights(WEIGHTS_CONFIG_KEY, invalid, weights) : undefined;
    if (warning !== undefined && warning !== this.warned) this.logger.warn(warning);
    this.warned = warning;
    const paged = await this.repository.forUser({ userId, weights, page, perPage });
    return paged && { items: paged.items, page, perPage, total: paged.total };
  }
}
