import { Inject, Injectable } from '@nestjs/common';
import { and, asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import {
  byteOrder,
  DRIZZLE,
  ID_PREFIX,
  isForeignKeyViolation,
  newId,
  pageOffset,
  pickDefined,
  users,
  videos,
  type Database,
  type Paged,
  type VideoStatus,
} from '../database/index.js';

export interface Video {
  id: string;
  userId: string;
  title: string;
  description: string;
  category: string;
  durationSec: number | null;
  format: string | null;
  status: VideoStatus;
  progress: number;
  viewCount: number;
  likeCount: number;
  shareCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateVideoInput {
  userId: string;
  title: string;
  /** 1 to 64 characters. */
  category: string;
  /** Default `''`. */
  description?: string;
  durationSec?: number | null;
  format?: string | null;
}

export type UpdateVideoInput = Partial<
  Pick<CreateVideoInput, 'title' | 'description' | 'category' | 'durationSec' | 'format'>
>;

/** A video before and after an update: callers can tell which lists (category, owner) it left. */
export interface VideoChange {
  previous: Video;
  current: Video;
}

/** What is left to know of a deleted video: enough to invalidate the lists it appeared in. */
export interface DeletedVideo {
  id: string;
  userId: string;
  category: string;
}

export interface VideoStatusInfo {
  id: string;
  status: VideoStatus;
  progress: number;
  updatedAt: Date;
}

export interface SearchVideosQuery {
  /** Plain text (already normalised by the caller): `%`, `_` and `\` match themselves. */
  q: string;
  category?: string;
  page: number;
  perPage: number;
}

const UPDATABLE_FIELDS = ['title', 'description', 'category', 'durationSec', 'format'] as const;

const videoColumns = {
  id: videos.id,
  userId: videos.userId,
  title: videos.title,
  description: videos.description,
  category: videos.category,
  durationSec: videos.durationSec,
  format: videos.format,
  status: videos.status,
  progress: videos.progress,
  viewCount: videos.viewCount,
  likeCount: videos.likeCount,
  shareCount: videos.shareCount,
  createdAt: videos.createdAt,
  updatedAt: videos.updatedAt,
};

const statusColumns = {
  id: videos.id,
  status: videos.status,
  progress: videos.progress,
  updatedAt: videos.updatedAt,
};

// Matches the `videos_views_idx` / `videos_category_views_idx` indexes: most viewed first, ties by id.
const byPopularity = [desc(videos.viewCount), asc(videos.id)];

@Injectable()
export class VideosRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  /** Creates a video (status `queued`, counters at 0) with a new `vid_…` id; null for an unknown user. */
  async create(input: CreateVideoInput): Promise<Video | null> {
    try {
      const [video] = await this.db
        .insert(videos)
        .values({
          id: newId(ID_PREFIX.video),
          userId: input.userId,
          title: input.title,
          description: input.description ?? '',
          category: input.category,
          durationSec: input.durationSec ?? null,
          format: input.format ?? null,
        })
        .returning(videoColumns);
      return video;
    } catch (error) {
      if (isForeignKeyViolation(error)) return null;
      throw error;
    }
  }

  async findById(id: string): Promise<Video | null> {
    const [video] = await this.db.select(videoColumns).from(videos).where(eq(videos.id, id));
    return video ?? null;
  }

  /**
   * Changes the given metadata fields and bumps `updatedAt`; returns the video before and after
   * (identical for an empty patch), or null for an unknown id.
   */
  async update(id: string, patch: UpdateVideoInput): Promise<VideoChange | null> {
    const changes = pickDefined(patch, UPDATABLE_FIELDS);
    if (Object.keys(changes).length === 0) {
      const video = await this.findById(id);
      return video && { previous: video, current: video };
    }
    // The row lock taken by `for update` keeps "previous" exact under concurrent updates.
    return this.db.transaction(async (tx) => {
      const [previous] = await tx.select(videoColumns).from(videos).where(eq(videos.id, id)).for('update');
      if (previous === undefined) return null;
      const [current] = await tx
        .update(videos)
        .set({ ...changes, updatedAt: sql`now()` })
        .where(eq(videos.id, id))
        .returning(videoColumns);
      return { previous, current };
    });
  }

  /**
   * Deletes the video; its events and queue entries go with it (foreign-key cascade). Returns the
   * owner and category it had, or null for an unknown id.
   */
  async delete(id: string): Promise<DeletedVideo | null> {
    const [deleted] = await this.db
      .delete(videos)
      .where(eq(videos.id, id))
      .returning({ id: videos.id, userId: videos.userId, category: videos.category });
    return deleted ?? null;
  }

  /** The user's videos, newest first; null when the user does not exist. */
  async listByUser(userId: string, page: number, perPage: number): Promise<Paged<Video> | null> {
    const owned = eq(videos.userId, userId);
    const [items, [{ total }], [user]] = await Promise.all([
      this.db
        .select(videoColumns)
        .from(videos)
        .where(owned)
        .orderBy(desc(videos.createdAt), desc(videos.id))
        .limit(perPage)
        .offset(pageOffset(page, perPage)),
      this.db.select({ total: count() }).from(videos).where(owned),
      this.db.select({ id: users.id }).from(users).where(eq(users.id, userId)),
    ]);
    return user === undefined ? null : { items, total };
  }

  /** The most viewed videos, in one category or across all of them. */
  async popular(category: string | undefined, limit: number): Promise<Video[]> {
    return this.db
      .select(videoColumns)
      .from(videos)
      .where(category === undefined ? undefined : eq(videos.category, category))
      .orderBy(...byPopularity)
      .limit(limit);
  }

  /**
   * Videos whose title or description contains `q` (case-insensitive), most viewed first. `q` is
   * plain text: LIKE's wildcards in it are escaped, so `50%` finds "50%" and not "500".
   */
  async search(query: SearchVideosQuery): Promise<Paged<Video>> {
    const pattern = `%${escapeLike(query.q)}%`;
    const conditions: SQL[] = [
      // Written out rather than with Drizzle's ilike(), which has no ESCAPE clause.
      sql`(${videos.title} ilike ${pattern} escape '\\' or ${videos.description} ilike ${pattern} escape '\\')`,
    ];
    if (query.category !== undefined) conditions.push(eq(videos.category, query.category));
    const where = and(...conditions);
    const [items, [{ total }]] = await Promise.all([
      this.db
        .select(videoColumns)
        .from(videos)
        .where(where)
        .orderBy(...byPopularity)
        .limit(query.perPage)
        .offset(pageOffset(query.page, query.perPage)),
      this.db.select({ total: count() }).from(videos).where(where),
    ]);
    return { items, total };
  }

  async getStatus(id: string): Promise<VideoStatusInfo | null> {
    const [info] = await this.db.select(statusColumns).from(videos).where(eq(videos.id, id));
    return info ?? null;
  }

  /** Sets the processing status, and the progress (0–100) when given; null for an unknown id. */
  async setStatus(id: string, status: VideoStatus, progress?: number): Promise<VideoStatusInfo | null> {
    const [info] = await this.db
      .update(videos)
      .set({ status, ...(progress === undefined ? {} : { progress }), updatedAt: sql`now()` })
      .where(eq(videos.id, id))
      .returning(statusColumns);
    return info ?? null;
  }

  /** Every category that has at least one video, in byte order. */
  async listCategories(): Promise<string[]> {
    const rows = await this.db
      .select({ category: videos.category })
      .from(videos)
      .groupBy(videos.category)
      .orderBy(byteOrder(videos.category));
    return rows.map((row) => row.category);
  }
}

/** Escapes LIKE's metacharacters (`\` first, then `%` and `_`) so that text matches itself. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
