import { Inject, Injectable } from '@nestjs/common';
import { and, eq, exists, sql } from 'drizzle-orm';
import { DRIZZLE, events, users, videos, type Database, type EventType } from '../database/index.js';

export interface RecordedEvent {
  id: number;
  type: EventType;
  videoId: string;
  userId: string;
  createdAt: Date;
}

/** The video's counters once the event is counted, so a cached copy can be patched in place. */
export interface VideoCounters {
  viewCount: number;
  likeCount: number;
  shareCount: number;
}

export type RecordEventResult =
  | { status: 'recorded'; event: RecordedEvent; counters: VideoCounters }
  | { status: 'unknown-video' }
  | { status: 'unknown-user' };

const COUNTER_OF = { view: 'viewCount', like: 'likeCount', share: 'shareCount' } as const satisfies Record<
  EventType,
  keyof VideoCounters
>;

@Injectable()
export class EventsRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  /**
   * Records that a user viewed, liked or shared a video, in one transaction:
   * 1. bump the video's counter, provided the user exists (this also locks the video row, so the
   *    video cannot be deleted before the event is in);
   * 2. insert the event.
   * Nothing changes when the video or the user is unknown.
   */
  async record(type: EventType, videoId: string, userId: string): Promise<RecordEventResult> {
    const counter = COUNTER_OF[type];
    return this.db.transaction(async (tx): Promise<RecordEventResult> => {
      const userExists = exists(tx.select({ id: users.id }).from(users).where(eq(users.id, userId)));
      const [counters] = await tx
        .update(videos)
        .set({ [counter]: sql`${videos[counter]} + 1` })
        .where(and(eq(videos.id, videoId), userExists))
        .returning({
          viewCount: videos.viewCount,
          likeCount: videos.likeCount,
          shareCount: videos.shareCount,
        });
      if (counters === undefined) {
        const [video] = await tx.select({ id: videos.id }).from(videos).where(eq(videos.id, videoId));
        return { status: video === undefined ? 'unknown-video' : 'unknown-user' };
      }
      const [event] = await tx.insert(events).values({ type, videoId, userId }).returning({
        id: events.id,
        type: events.type,
        videoId: events.videoId,
        userId: events.userId,
        createdAt: events.createdAt,
      });
      return { status: 'recorded', event, counters };
    });
  }
}
