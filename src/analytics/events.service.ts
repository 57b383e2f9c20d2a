import { Injectable, NotFoundException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CacheConfig, CacheEvict } from '../cache/index.js';
import { DomainEvent, type EngagementRecordedEvent } from '../common/events/domain-events.js';
import type { EventType } from '../database/index.js';
import { userStatsPattern, videoStatsKey } from './analytics.keys.js';
import { ANALYTICS_NAMESPACE } from './analytics.constants.js';
import { unknownReference } from './analytics.messages.js';
import { EventsRepository, type RecordedEvent } from './events.repository.js';

export interface RecordEventInput {
  type: EventType;
  videoId: string;
  userId: string;
}

/**
 * Records views, likes and shares. After the commit, evicts the analytics of that video and that
 * user, and nothing else: popular, trending, summary and platform metrics change with every event,
 * so they are left to their short TTLs rather than evicted thousands of times a second.
 */
@CacheConfig({ namespace: ANALYTICS_NAMESPACE })
@Injectable()
export class EventsService {
  constructor(
    private readonly repository: EventsRepository,
    private readonly events: EventEmitter2,
  ) {}

  /** Records the event; 404 naming `videoId` or `userId` when either does not exist. */
  @CacheEvict<[RecordEventInput]>({
    key: (input) => videoStatsKey(input.videoId),
    patterns: (input) => [userStatsPattern(input.userId)],
  })
  async record(input: RecordEventInput): Promise<RecordedEvent> {
    const result = await this.repository.record(input.type, input.videoId, input.userId);
    if (result.status === 'unknown-video') {
      throw new NotFoundException(unknownReference('videoId', 'video', input.videoId));
    }
    if (result.status === 'unknown-user') {
      throw new NotFoundException(unknownReference('userId', 'user', input.userId));
    }
    const { type, videoId, userId } = result.event;
    await this.events.emitAsync(DomainEvent.engagementRecorded, {
      type,
      videoId,
      userId,
    } satisfies EngagementRecordedEvent);
    return result.event;
  }
}
