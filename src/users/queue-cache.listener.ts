import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { HybridCacheService } from '../cache/index.js';
import { DomainEvent, videoTag, type VideoDeletedEvent } from '../common/events/domain-events.js';

/**
 * Keeps cached queues coherent with videos owned by another module: when a video is deleted (the
 * database cascade already removed it from every queue), the queues that held it are evicted by
 * the video's tag. The videos module emits with `emitAsync` and waits, so the eviction is done
 * before its response is sent.
 */
@Injectable()
export class QueueCacheListener {
  constructor(private readonly cache: HybridCacheService) {}

  @OnEvent(DomainEvent.videoDeleted, { async: true, promisify: true })
  async onVideoDeleted(event: VideoDeletedEvent): Promise<void> {
    await this.cache.deleteByTag(videoTag(event.video.id));
  }
}
