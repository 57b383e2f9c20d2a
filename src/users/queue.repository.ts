import { Inject, Injectable } from '@nestjs/common';
import { and, eq, sql } from 'drizzle-orm';
import { DRIZZLE, isForeignKeyViolation, queueItems, users, type Database } from '../database/index.js';

/** A video waiting in a user's processing queue. Lists are in the order the videos were added. */
export interface QueueItem {
  userId: string;
  videoId: string;
  addedAt: Date;
}

export type QueueAddResult =
  | { status: 'added'; item: QueueItem }
  | { status: 'already-queued'; item: QueueItem }
  | { status: 'unknown-user' }
  | { status: 'unknown-video' };

const itemColumns = { userId: queueItems.userId, videoId: queueItems.videoId, addedAt: queueItems.addedAt };

@Injectable()
export class QueueRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  /**
   * Adds the video to the end of the user's queue. Idempotent: adding a queued video again keeps
   * its place and answers `already-queued`.
   */
  async add(userId: string, videoId: string): Promise<QueueAddResult> {
    try {
      // One statement, so two concurrent adds cannot both insert or both miss the row. The no-op
      // update makes RETURNING yield the existing row too; `xmax = 0` holds only for a fresh insert.
      const [row] = await this.db
        .insert(queueItems)
        .values({ userId, videoId })
        .onConflictDoUpdate({
          target: [queueItems.userId, queueItems.videoId],
          set: { userId: sql`excluded.user_id` },
        })
        .returning({ ...itemColumns, inserted: sql<boolean>`xmax = 0` });
      const { inserted, ...item } = row;
      return { status: inserted ? 'added' : 'already-queued', item };
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      return (await this.userExists(userId)) ? { status: 'unknown-video' } : { status: 'unknown-user' };
    }
  }

  /** The user's queue, oldest first; null when the user does not exist. */
  async list(userId: string): Promise<QueueItem[] | null> {
    const [items, userKnown] = await Promise.all([
      this.db
        .select(itemColumns)
        .from(queueItems)
        .where(eq(queueItems.userId, userId))
        .orderBy(queueItems.position),
      this.userExists(userId),
    ]);
    return userKnown ? items : null;
  }

  /** Removes the video from the user's queue; whether it was there. */
  async remove(userId: string, videoId: string): Promise<boolean> {
    const removed = await this.db
      .delete(queueItems)
      .where(and(eq(queueItems.userId, userId), eq(queueItems.videoId, videoId)))
      .returning({ videoId: queueItems.videoId });
    return removed.length > 0;
  }

  private async userExists(userId: string): Promise<boolean> {
    const [row] = await this.db.select({ id: users.id }).from(users).where(eq(users.id, userId));
    return row !== undefined;
  }
}
