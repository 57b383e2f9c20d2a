/**
 * Domain events: a module announces what changed in the data it owns, and the modules that cache
 * something derived from it evict their own entries. So no module needs another module's keys.
 * Emitted with `EventEmitter2.emitAsync` after the database commit, and awaited, so that by the
 * time the write's response is sent every cache that depends on it has been evicted.
 */
export const DomainEvent = {
  videoCreated: 'video.created',
  videoUpdated: 'video.updated',
  videoDeleted: 'video.deleted',
  userUpdated: 'user.updated',
  engagementRecorded: 'engagement.recorded',
  configChanged: 'config.changed',
} as const;

export interface VideoRef {
  id: string;
  userId: string;
  category: string;
}

export interface VideoCreatedEvent {
  video: VideoRef;
}

export interface VideoUpdatedEvent {
  previous: VideoRef;
  current: VideoRef;
}

export interface VideoDeletedEvent {
  video: VideoRef;
}

export interface UserUpdatedEvent {
  userId: string;
}

export interface EngagementRecordedEvent {
  type: 'view' | 'like' | 'share';
  videoId: string;
  userId: string;
}

export interface ConfigChangedEvent {
  key: string;
}

/** The cache tag carried by every cached list or aggregate that contains a video. */
export const videoTag = (videoId: string) => `video:${videoId}`;
/** The cache tag carried by every cached entry derived from a user's data. */
export const userTag = (userId: string) => `user:${userId}`;
