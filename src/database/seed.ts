import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { bulkInsert, withIndexesDeferred } from './bulk-load.js';
import { ID_PREFIX } from './database.constants.js';
import type { Database } from './database.connection.js';
import { seedId } from './ids.js';
import {
  ANGLES,
  DESCRIPTION_LINES,
  FIRST_NAMES,
  FORMATS_OF_VIDEO,
  LANGUAGES,
  LAST_NAMES,
  SEED_CATEGORIES,
  SEED_CONFIG,
  SEED_TEMPLATES,
  SUBJECTS,
  VIDEO_FORMATS,
} from './seed-content.js';
import { SeededRandom, ZipfSampler } from './seed-random.js';
import {
  configEntries,
  EVENT_TYPES,
  events,
  queueItems,
  sessions,
  templates,
  users,
  videos,
  type VideoStatus,
} from './schema.js';

/** Row counts at scale 1; `SEED_SCALE` multiplies them. Templates and config entries are fixed. */
export const SEED_BASE_SIZES = { users: 1_000, videos: 20_000, events: 200_000 } as const;

/** The PRNG seed used unless told otherwise: every run produces the same rows. */
export const DEFAULT_SEED = 20_240_601;

const DAY_MS = 86_400_000;
/** Events are spread over this many days before `now`. */
export const SEED_EVENT_WINDOW_DAYS = 90;
const VIDEO_MAX_AGE_DAYS = 180;
const USER_MIN_AGE_DAYS = 400;

export interface SeedOptions {
  /** Multiplies {@link SEED_BASE_SIZES}; default 1. */
  scale?: number;
  /** PRNG seed; default {@link DEFAULT_SEED}. */
  seed?: number;
  /** The moment the data is generated relative to ("the last 90 days"); default: now. */
  now?: Date;
}

type NewUser = typeof users.$inferInsert;
type NewVideo = typeof videos.$inferInsert & {
  createdAt: Date;
  viewCount: number;
  likeCount: number;
  shareCount: number;
};

/**
 * Events in columns rather than as objects: at scale 10 there are two million of them.
 * `video` and `user` are 0-based indexes into the generated videos and users.
 */
export interface SeedEvents {
  readonly count: number;
  readonly type: Uint8Array; // index into EVENT_TYPES
  readonly video: Int32Array;
  readonly user: Int32Array;
  readonly time: Float64Array; // epoch milliseconds, ascending
}

export interface SeedData {
  users: NewUser[];
  videos: NewVideo[];
  events: SeedEvents;
  templates: (typeof templates.$inferInsert)[];
  configEntries: (typeof configEntries.$inferInsert)[];
}

export interface SeedReport {
  users: number;
  videos: number;
  events: number;
  templates: number;
  configEntries: number;
  /** Wall-clock time of generation plus insertion. */
  ms: number;
}

/** The number of users, videos and events at a scale (never less than one of each). */
export function seedSizes(scale: number): { users: number; videos: number; events: number } {
  const size = (base: number) => Math.max(1, Math.round(base * scale));
  return {
    users: size(SEED_BASE_SIZES.users),
    videos: size(SEED_BASE_SIZES.videos),
    events: size(SEED_BASE_SIZES.events),
  };
}

/**
 * Generates the seed data without touching a database: a pure function of the options, so the
 * same options always give the same rows.
 *
 * Shape of the data: 8 categories of unequal size; a few prolific creators; video popularity and
 * viewer activity both Zipf-distributed; events mostly views, spread over the last 90 days with
 * more of them recently, never before their video was created. The videos' counters are the
 * tallies of the generated events.
 */
export function generateSeedData(options: SeedOptions = {}): SeedData {
  const { scale = 1, seed = DEFAULT_SEED, now = new Date() } = options;
  const random = new SeededRandom(seed);
  const sizes = seedSizes(scale);
  const nowMs = now.getTime();

  const seedUsers = generateUsers(sizes.users, random, nowMs);
  const seedVideos = generateVideos(sizes.videos, sizes.users, random, nowMs);
  const seedEvents = generateEvents(sizes.events, seedVideos, sizes.users, random, nowMs);
  tallyCounters(seedVideos, seedEvents);

  return {
    users: seedUsers,
    videos: seedVideos,
    events: seedEvents,
    templates: SEED_TEMPLATES.map((template, i) => ({
      id: seedId(ID_PREFIX.template, i + 1),
      ...template,
      updatedAt: new Date(nowMs - (SEED_TEMPLATES.length - i) * DAY_MS),
    })),
    configEntries: SEED_CONFIG.map(([key, value]) => ({ key, value, updatedAt: new Date(nowMs) })),
  };
}

/** Whether the database holds no users (a fresh database, or one that was reset). */
export async function isDatabaseEmpty(db: Database): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).limit(1);
  return row === undefined;
}

/**
 * Inserts freshly generated seed data in a single transaction (all or nothing), then refreshes the
 * planner statistics. The database must be empty: seeded ids would collide otherwise.
 */
export async function seedDatabase(db: Database, options: SeedOptions = {}): Promise<SeedReport> {
  const started = performance.now();
  const data = generateSeedData(options);
  await db.transaction((tx) =>
    withIndexesDeferred(tx, [videos, events], async () => {
      await bulkInsert(tx, users, data.users);
      await bulkInsert(tx, videos, data.videos);
      await insertEvents(tx, data);
      await bulkInsert(tx, templates, data.templates);
      await bulkInsert(tx, configEntries, data.configEntries);
    }),
  );
  // Fresh tables have no statistics yet, and PGlite never runs autovacuum to gather them.
  await db.execute(sql`analyze`);
  return {
    users: data.users.length,
    videos: data.videos.length,
    events: data.events.count,
    templates: data.templates.length,
    configEntries: data.configEntries.length,
    ms: performance.now() - started,
  };
}

/** Seeds the database if it holds no users; returns null (and changes nothing) otherwise. */
export async function seedIfEmpty(db: Database, options: SeedOptions = {}): Promise<SeedReport | null> {
  if (!(await isDatabaseEmpty(db))) return null;
  return seedDatabase(db, options);
}

/** Deletes every row of every table and restarts the sequences, ready for a new seed. */
export async function resetDatabase(db: Database): Promise<void> {
  await db.execute(
    sql`truncate ${users}, ${videos}, ${events}, ${sessions}, ${queueItems}, ${templates}, ${configEntries} restart identity cascade`,
  );
}

function generateUsers(count: number, random: SeededRandom, nowMs: number): NewUser[] {
  const result: NewUser[] = [];
  for (let n = 1; n <= count; n++) {
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const createdAt = nowMs - (USER_MIN_AGE_DAYS + random.next() * 330) * DAY_MS;
    result.push({
      id: seedId(ID_PREFIX.user, n),
      name: `${first} ${last}`,
      email: `${asciiLower(first)}.${asciiLower(last)}.${n}@example.com`,
      settings: {
        theme: random.pick(['dark', 'light', 'system']),
        autoplay: random.chance(0.7),
        language: random.pick(LANGUAGES),
        notifications: { email: random.chance(0.6), push: random.chance(0.4) },
      },
      createdAt: new Date(Math.floor(createdAt)),
      updatedAt: new Date(Math.floor(createdAt + random.next() * 300 * DAY_MS)),
    });
  }
  return result;
}

function generateVideos(count: number, userCount: number, random: SeededRandom, nowMs: number): NewVideo[] {
  // A few creators upload most videos; the permutation keeps them from all being usr_000001…
  const creatorRank = new ZipfSampler(userCount, 1.1, random);
  const creatorOf = random.permutation(userCount);
  const result: NewVideo[] = [];
  for (let n = 1; n <= count; n++) {
    const category = random.weighted(SEED_CATEGORIES);
    const subject = random.pick(SUBJECTS[category]);
    const createdAt = Math.floor(nowMs - random.next() * VIDEO_MAX_AGE_DAYS * DAY_MS);
    const { status, progress } = pickStatus(random);
    result.push({
      id: seedId(ID_PREFIX.video, n),
      userId: seedId(ID_PREFIX.user, creatorOf[creatorRank.sample()] + 1),
      title: `${random.pick(ANGLES)} ${subject} ${random.pick(FORMATS_OF_VIDEO)}`,
      description: `All about ${subject.toLowerCase()} (${category}). ${random.pick(DESCRIPTION_LINES)} ${random.pick(DESCRIPTION_LINES)}`,
      category,
      // Mostly short videos, a long tail up to three hours.
      durationSec: 30 + Math.floor(random.next() ** 3 * 3 * 3600),
      format: random.weighted(VIDEO_FORMATS),
      status,
      progress,
      viewCount: 0,
      likeCount: 0,
      shareCount: 0,
      createdAt: new Date(createdAt),
      updatedAt: new Date(Math.min(nowMs, createdAt + random.next() * DAY_MS)),
    });
  }
  return result;
}

function pickStatus(random: SeededRandom): { status: VideoStatus; progress: number } {
  const status = random.weighted<VideoStatus>([
    ['ready', 92],
    ['processing', 3],
    ['queued', 3],
    ['failed', 2],
  ]);
  if (status === 'ready') return { status, progress: 100 };
  if (status === 'queued') return { status, progress: 0 };
  return { status, progress: random.between(1, 99) };
}

function generateEvents(
  count: number,
  seedVideos: NewVideo[],
  userCount: number,
  random: SeededRandom,
  nowMs: number,
): SeedEvents {
  const popularity = new ZipfSampler(seedVideos.length, 1.0, random);
  const videoAt = random.permutation(seedVideos.length);
  const activity = new ZipfSampler(userCount, 0.9, random);
  const userAt = random.permutation(userCount);
  const windowStart = nowMs - SEED_EVENT_WINDOW_DAYS * DAY_MS;

  const unsorted = {
    type: new Uint8Array(count),
    video: new Int32Array(count),
    user: new Int32Array(count),
    time: new Float64Array(count),
  };
  for (let i = 0; i < count; i++) {
    const video = videoAt[popularity.sample()];
    const from = Math.max(windowStart, seedVideos[video].createdAt.getTime());
    unsorted.video[i] = video;
    unsorted.user[i] = userAt[activity.sample()];
    unsorted.type[i] = random.weighted([
      [0, 85], // view
      [1, 11], // like
      [2, 4], // share
    ]);
    // Skewed towards recent days; never before the video existed.
    unsorted.time[i] = Math.floor(nowMs - (nowMs - from) * random.next() ** 1.5);
  }

  // Chronological order, so that event ids grow with time as they would in production.
  const order = Array.from({ length: count }, (_, i) => i).sort(
    (a, b) => unsorted.time[a] - unsorted.time[b] || a - b,
  );
  const sorted = {
    count,
    type: new Uint8Array(count),
    video: new Int32Array(count),
    user: new Int32Array(count),
    time: new Float64Array(count),
  };
  order.forEach((from, to) => {
    sorted.type[to] = unsorted.type[from];
    sorted.video[to] = unsorted.video[from];
    sorted.user[to] = unsorted.user[from];
    sorted.time[to] = unsorted.time[from];
  });
  return sorted;
}

function tallyCounters(seedVideos: NewVideo[], seedEvents: SeedEvents): void {
  for (let i = 0; i < seedEvents.count; i++) {
    const video = seedVideos[seedEvents.video[i]];
    const type = EVENT_TYPES[seedEvents.type[i]];
    if (type === 'view') video.viewCount++;
    else if (type === 'like') video.likeCount++;
    else video.shareCount++;
  }
}

/** Turns the event columns into rows a slice at a time, so that only one slice is ever in memory. */
async function insertEvents(db: Database, data: SeedData): Promise<void> {
  const { events: seedEvents } = data;
  const slice = 50_000;
  for (let start = 0; start < seedEvents.count; start += slice) {
    const rows: (typeof events.$inferInsert)[] = [];
    for (let i = start; i < Math.min(start + slice, seedEvents.count); i++) {
      rows.push({
        type: EVENT_TYPES[seedEvents.type[i]],
        videoId: data.videos[seedEvents.video[i]].id,
        userId: data.users[seedEvents.user[i]].id,
        createdAt: new Date(seedEvents.time[i]),
      });
    }
    await bulkInsert(db, events, rows);
  }
}

function asciiLower(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}
