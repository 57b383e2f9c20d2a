import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  check,
  customType,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';

/** Any value `JSON.parse` can return. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/**
 * A `json` column that returns exactly the value that was stored.
 *
 * Why not `jsonb`: it reorders object keys and rejects `\u0000`, so a client's document would come
 * back different from what it sent (and different from what a write-through cache tier holds).
 * Why not Drizzle's `json()`: both drivers already parse json, and Drizzle then calls `JSON.parse`
 * again on any string, so a stored string `"123"` would come back as the number 123.
 * SQL NULL stands for JSON `null` (Drizzle sends a JS `null` as NULL without encoding it).
 */
const exactJson = customType<{ data: JsonValue; driverData: JsonValue | string }>({
  dataType: () => 'json',
  toDriver: (value) => JSON.stringify(value),
  // Defensive: a driver configured without a json parser hands us the text.
  fromDriver: (value) => value,
});

/** `CHECK (column IN (...))` built from the same list as the TypeScript union. */
const oneOf = (column: AnyPgColumn, values: readonly string[]) =>
  sql`${column} in (${sql.raw(values.map((value) => `'${value}'`).join(', '))})`;

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const VIDEO_STATUSES = ['queued', 'processing', 'ready', 'failed'] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];

export const EVENT_TYPES = ['view', 'like', 'share'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The contract allows categories of 1 to 64 characters. */
export const CATEGORY_MAX_LENGTH = 64;

/** The unique index on `lower(email)`: a write that hits it is a duplicate email (409). */
export const USERS_EMAIL_UNIQUE = 'users_email_lower_idx';

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    email: text('email').notNull(),
    settings: exactJson('settings')
      .$type<JsonObject>()
      .notNull()
      .default(sql`'{}'::json`),
    // SHA-256 of the user's secret token (hex), answered once by `POST /users` and never stored in
    // clear. Null for a user who never received one (the demo seed): no token opens their sessions.
    tokenHash: text('token_hash'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // Unique: a token names exactly one user, so a token of another user can be told apart (403)
  // from a token of nobody (401).
  (t) => [
    uniqueIndex('users_token_hash_idx').on(t.tokenHash),
    // Emails are unique whatever their case: `Ada@Example.com` and `ada@example.com` are one inbox
    // for every provider that matters, so two accounts must not share them.
    uniqueIndex(USERS_EMAIL_UNIQUE).on(sql`lower(${t.email})`),
  ],
);

export const videos = pgTable(
  'videos',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    category: varchar('category', { length: CATEGORY_MAX_LENGTH }).notNull(),
    durationSec: integer('duration_sec'),
    format: text('format'),
    status: text('status', { enum: VIDEO_STATUSES }).notNull().default('queued'),
    progress: integer('progress').notNull().default(0),
    // Denormalised counters: bumped in the same transaction as each event insert, so
    // "popular" is an index scan instead of an aggregation over the events table.
    viewCount: bigint('view_count', { mode: 'number' }).notNull().default(0),
    likeCount: bigint('like_count', { mode: 'number' }).notNull().default(0),
    shareCount: bigint('share_count', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('videos_status_check', oneOf(t.status, VIDEO_STATUSES)),
    check('videos_progress_check', sql`${t.progress} between 0 and 100`),
    check('videos_duration_check', sql`${t.durationSec} >= 0`),
    // listByUser: newest first.
    index('videos_user_created_idx').on(t.userId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    // popular(category): most viewed first, ties by id.
    index('videos_category_views_idx').on(t.category, t.viewCount.desc().nullsFirst(), t.id),
    // popular() over every category.
    index('videos_views_idx').on(t.viewCount.desc().nullsFirst(), t.id),
    // analytics: new videos per day.
    index('videos_created_idx').on(t.createdAt),
    // search: `ILIKE '%q%'` can use trigram indexes (pg_trgm ships with PostgreSQL and PGlite).
    index('videos_title_trgm_idx').using('gin', t.title.op('gin_trgm_ops')),
    index('videos_description_trgm_idx').using('gin', t.description.op('gin_trgm_ops')),
  ],
);

export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    type: text('type', { enum: EVENT_TYPES }).notNull(),
    videoId: text('video_id')
      .notNull()
      .references(() => videos.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [
    check('events_type_check', oneOf(t.type, EVENT_TYPES)),
    // videoStats, and the cascade when a video is deleted.
    index('events_video_created_idx').on(t.videoId, t.createdAt),
    // userStats, and the cascade when a user is deleted.
    index('events_user_created_idx').on(t.userId, t.createdAt),
    // platform metrics per event type.
    index('events_type_created_idx').on(t.type, t.createdAt),
    // summary, trending, active users: every type within a time window.
    index('events_created_idx').on(t.createdAt),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    data: exactJson('data'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

export const queueItems = pgTable(
  'queue_items',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    videoId: text('video_id')
      .notNull()
      .references(() => videos.id, { onDelete: 'cascade' }),
    // A global sequence: orders a user's queue by insertion even when two items share a timestamp.
    position: bigserial('position', { mode: 'number' }).notNull(),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.videoId] }),
    // The cascade when a video is deleted (the primary key serves lookups by user).
    index('queue_items_video_idx').on(t.videoId),
  ],
);

export const templates = pgTable('templates', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  body: text('body').notNull(),
  version: integer('version').notNull().default(1),
  updatedAt: updatedAt(),
});

export const configEntries = pgTable('config_entries', {
  key: text('key').primaryKey(),
  value: exactJson('value'),
  updatedAt: updatedAt(),
});
