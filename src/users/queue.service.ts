import { Injectable, NotFoundException } from '@nestjs/common';
import { CacheConfig, CacheEvict, Cacheable } from '../cache/index.js';
import { userTag, videoTag } from '../common/events/domain-events.js';
import { QueueRepository, type QueueItem } from './queue.repository.js';
import { USER_NAMESPACE, queueKey } from './users.constants.js';
import { queueVideoNotFound, userNotFound } from './users.messages.js';

/**
 * Users' processing queues, in the database, cached whole per user under `user:queue:<userId>`.
 * Each cached queue carries the tag of every video in it, so that deleting a video evicts the
 * queues that held it (see `QueueCacheListener`) without this module knowing who queued what.
 */
@CacheConfig({ namespace: USER_NAMESPACE })
@Injectable()
export class QueueService {
  constructor(private readonly queue: QueueRepository) {}

  /** The user's queue, oldest first; null for an unknown user. */
  @Cacheable({
    key: (userId: string) => queueKey(userId),
    tags: (items: readonly QueueItem[] | null, userId: string) => [
      userTag(userId),
      ...(items ?? []).map((item) => videoTag(item.videoId)),
    ],
  })
  list(userId: string): Promise<readonly QueueItem[] | null> {
    return this.queue.list(userId);
  }

  /**
   * Adds the video to the end of the queue (idempotent: `created` is false when it was there
   * already); 404 for an unknown user or video.
   */
  @CacheEvict({ key: (userId: string) => queueKey(userId) })
  async add(userId: string, videoId: string): Promise<{ item: QueueItem; created: boolean }> {
    const result = await this.queue.add(userId, videoId);
    switch (result.status) {
      case 'added':
        return { item: result.item, created: true };
      case 'already-queued':
        return { item: result.item, created: false };
      case 'unknown-user':
        throw new NotFoundException(userNotFound(userId));
      case 'unknown-video':
        throw new NotFoundException(queueVideoNotFound(videoId));
    }
  }

  /** Removes the video from the queue; whether it was there. */
  @CacheEvict({ key: (userId: string) => queueKey(userId) })
  remove(userId: string, videoId: string): Promise<boolean> {
    return this.queue.remove(userId, videoId);
  }
}
