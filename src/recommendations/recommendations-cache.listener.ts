import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { HybridCacheService } from '../cache/index.js';
import {
  DomainEvent,
  type ConfigChangedEvent,
  type EngagementRecordedEvent,
} from '../common/events/domain-events.js';
import {
  RECOMMENDATIONS_NAMESPACE,
  WEIGHTS_CONFIG_KEY,
  recommendationsPattern,
} from './recommendations.constants.js';

/**
 * A user's new view, like or share makes their recommendations wrong at once (the video is now
 * watched, and their neighbours change): every cached page of theirs is evicted. New weights make
 * everyone's wrong. The emitting modules use `emitAsync` and wait, so `POST /events` and
 * `PUT /config/recommendations.weights` answer after the eviction.
 */
@Injectable()
export class RecommendationsCacheListener {
  constructor(private readonly cache: HybridCacheService) {}

  @OnEvent(DomainEvent.engagementRecorded, { async: true, promisify: true })
  async onEngagementRecorded(event: EngagementRecordedEvent): Promise<void> {
    await this.cache.deleteByPattern(RECOMMENDATIONS_NAMESPACE, recommendationsPattern(event.userId));
  }

  /** New weights change every score: every user's recommendations go (a rare, admin-only write). */
  @OnEvent(DomainEvent.configChanged, { async: true, promisify: true })
  async onConfigChanged(event: ConfigChangedEvent): Promise<void> {
    if (event.key === WEIGHTS_CONFIG_KEY) await this.cache.clearNamespace(RECOMMENDATIONS_NAMESPACE);
  }
}
