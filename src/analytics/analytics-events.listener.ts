import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { HybridCacheService } from '../cache/index.js';
import {
  DomainEvent,
  type VideoDeletedEvent,
  type VideoUpdatedEvent,
} from '../common/events/domain-events.js';
import { ALL_PLATFORM_METRICS, ALL_SUMMARIES, ALL_USER_STATS, videoStatsKey } from './analytics.keys.js';
import { ANALYTICS_NAMESPACE } from './analytics.constants.js';

/**
 * Evicts the analytics that a change to a video makes stale, on the videos module's domain events
 * (so the videos module needs no analytics key). Entries that list videos (trending) carry their
 * `videoTag`s, which the videos module evicts on every update and delete; this listener evicts the
 * rest.
 *
 * Not handled on purpose: `video.created` (a new video has no events; the summary's and the
 * `new-videos` metric's counts catch up within their 60 s TTL) and `engagement.recorded` (evicted
 * by `EventsService` itself, which owns the write).
 */
@Injectable()
export class AnalyticsEventsListener {
  constructor(private readonly cache: HybridCacheService) {}

  /**
   * A deleted video takes its events with it (foreign-key cascade), so every aggregate over events
   * may change: the stats of each user who watched it (who they are is gone with the events),
   * platform metrics and summaries. Deletions are rare; these entries are recomputed on demand.
   */
  @OnEvent(DomainEvent.videoDeleted)
  async onVideoDeleted({ video }: VideoDeletedEvent): Promise<void> {
    await Promise.all([
      this.cache.delete(ANALYTICS_NAMESPACE, videoStatsKey(video.id)),
      this.cache.deleteByPattern(ANALYTICS_NAMESPACE, ALL_USER_STATS),
      this.cache.deleteByPattern(ANALYTICS_NAMESPACE, ALL_PLATFORM_METRICS),
      this.cache.deleteByPattern(ANALYTICS_NAMESPACE, ALL_SUMMARIES),
    ]);
  }

  /** Users' top categories count events by the category of the video: a move changes them. */
  @OnEvent(DomainEvent.videoUpdated)
  async onVideoUpdated({ previous, current }: VideoUpdatedEvent): Promise<void> {
    if (previous.category !== current.category) {
      await this.cache.deleteByPattern(ANALYTICS_NAMESPACE, ALL_USER_STATS);
    }
  }
}
