import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { HybridCacheService } from '../cache/index.js';
import { DomainEvent, type EngagementRecordedEvent } from '../common/events/domain-events.js';
import { RECOMMENDATIONS_NAMESPACE, recommendationsPattern } from './recommendations.constants.js';

/**
 * A user's new view, like or share makes their recommendations wrong at once (the video is now
 * watched, and their neighbours change): every cached page of theirs is evicted. The analytics
 * module emits with `emitAsync` and waits, so `POST /events` answers after the eviction.
 */
@Injectable()
export class RecommendationsCacheListener {
  constructor(private readonly cache: HybridCacheService) {}

  @OnEvent(DomainEvent.engagementRecorded, { async: true, promisify: true })
  async onEngagementRecorded(event: EngagementRecordedEvent): Promise<void> {
    await this.cache.deleteByPattern(RECOMMENDATIONS_NAMESPACE, recommendationsPattern(event.userId));
  }
}
