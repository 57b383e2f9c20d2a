import { Inject, Injectable } from '@nestjs/common';
import { sql, type SQL } from 'drizzle-orm';
import {
  byteOrder,
  DRIZZLE,
  events,
  hoursAgo,
  queryRows,
  users,
  videos,
  type Database,
  type EventType,
} from '../database/index.js';

/** The periods analytics can cover, ending now. */
export const ANALYTICS_RANGES = ['24h', '7d', '30d', '90d'] as const;
export type AnalyticsRange = (typeof ANALYTICS_RANGES)[number];

/** The platform-wide series `platformMetric` computes. */
export const PLATFORM_METRICS = ['views', 'likes', 'shares', 'active-users', 'new-videos'] as const;
export type PlatformMetric = (typeof PLATFORM_METRICS)[number];

/** Series are bucketed by hour over 24 hours and by day over longer ranges (UTC). */
export type Bucket = 'hour' | 'day';

export interface EventCounts {
  views: number;
  likes: number;
  shares: number;
}

export interface UserStats extends EventCounts {
  userId: string;
  range: AnalyticsRange;
  /** Distinct videos the user viewed, liked or shared. */
  distinctVideos: number;
  /** The categories of those videos by number of events, at most five. */
  topCategories: { category: string; events: number }[];
}

export interface DailyEventCounts extends EventCounts {
  /** Midnight UTC starting the day. */
  day: Date;
}

export interface VideoStats {
  videoId: string;
  /** All events ever recorded for the video. */
  totals: EventCounts;
  /** Distinct users who viewed it. */
  uniqueViewers: number;
  /** The last 30 days, today included, oldest first; days without events count zero. */
  last30Days: DailyEventCounts[];
}

export interface MetricPoint {
  /** Start of the bucket (UTC). */
  start: Date;
  value: number;
}

export interface MetricSeries {
  metric: PlatformMetric;
  range: AnalyticsRange;
  bucket: Bucket;
  /**
   * Over the whole range: the sum of the points, except for `active-users`, where a user active in
   * several buckets counts once.
   */
  total: number;
  /** Every bucket from the one holding `now - range` to the current one, empty ones included. */
  points: MetricPoint[];
}

export interface TrendingVideo {
  videoId: string;
  userId: string;
  title: string;
  category: string;
  /** Weighted events of the last 7 days; see {@link AnalyticsRepository.trending}. */
  score: number;
  events24h: number;
  events7d: number;
}

export interface AnalyticsSummary extends EventCounts {
  range: AnalyticsRange;
  events: number;
  activeUsers: number;
  activeVideos: number;
  newUsers: number;
  newVideos: number;
  /** Row counts right now, whatever the range. */
  totals: { users: number; videos: number };
}

/** Each range in hours (see hoursAgo). */
const RANGE_HOURS: Record<AnalyticsRange, number> = { '24h': 24, '7d': 168, '30d': 720, '90d': 2160 };

const EVENT_TYPE_OF: Record<'views' | 'likes' | 'shares', EventType> = {
  views: 'view',
  likes: 'like',
  shares: 'share',
};

/** How much each kind of event weighs in the trending score. */
export const TRENDING_WEIGHTS: Record<EventType, number> = { view: 1, like: 3, share: 5 };
/** Events of the last 24 hours weigh this many times more than older ones. */
export const TRENDING_RECENT_FACTOR = 3;

/** `created_at > now() - <range>`: the window every range-based figure uses. */
function since(range: AnalyticsRange): SQL {
  return hoursAgo(RANGE_HOURS[range]);
}

/** Counts views, likes and shares in one pass: `count(*) filter (where type = …)`. */
const countsByType = sql`
  count(*) filter (where ${events.type} = 'view') as views,
  count(*) filter (where ${events.type} = 'like') as likes,
  count(*) filter (where ${events.type} = 'share') as shares`;

// Both drivers return bigint counts differently (string or number), so every number read from a
// raw row goes through Number(); buckets are formatted as ISO strings in SQL for the same reason.
const isoUtc = (timestamp: SQL) => sql`to_char(${timestamp}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

type Counted<K extends string> = Record<K, string | number>;

function toCounts(row: Counted<'views' | 'likes' | 'shares'>): EventCounts {
  return { views: Number(row.views), likes: Number(row.likes), shares: Number(row.shares) };
}

/**
 * Aggregations over the events table, computed in SQL on every call (caching is the callers' job).
 * Day and hour buckets are UTC.
 */
@Injectable()
export class AnalyticsRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  /** What a user did over the range; null for an unknown user. */
  async userStats(userId: string, range: AnalyticsRange): Promise<UserStats | null> {
    const inRange = sql`${events.userId} = ${userId} and ${events.createdAt} > ${since(range)}`;
    const [[user], [counts], categories] = await Promise.all([
      queryRows<{ id: string }>(
        this.db,
        sql`select ${users.id} as id from ${users} where ${users.id} = ${userId}`,
      ),
      queryRows<Counted<'views' | 'likes' | 'shares' | 'distinct_videos'>>(
        this.db,
        sql`select ${countsByType}, count(distinct ${events.videoId}) as distinct_videos
            from ${events} where ${inRange}`,
      ),
      queryRows<{ category: string } & Counted<'events'>>(
        this.db,
        sql`select ${videos.category} as category, count(*) as events
            from ${events} join ${videos} on ${videos.id} = ${events.videoId}
            where ${inRange}
            group by ${videos.category}
            order by count(*) desc, ${byteOrder(videos.category)}
            limit 5`,
      ),
    ]);
    if (user === undefined) return null;
    return {
      userId,
      range,
      ...toCounts(counts),
      distinctVideos: Number(counts.distinct_videos),
      topCategories: categories.map((row) => ({ category: row.category, events: Number(row.events) })),
    };
  }

  /** All-time totals, unique viewers and the last 30 days of one video; null for an unknown video. */
  async videoStats(videoId: string): Promise<VideoStats | null> {
    const today = sql`date_trunc('day', now() at time zone 'UTC')`;
    const [[video], [totals], days] = await Promise.all([
      queryRows<{ id: string }>(
        this.db,
        sql`select ${videos.id} as id from ${videos} where ${videos.id} = ${videoId}`,
      ),
      queryRows<Counted<'views' | 'likes' | 'shares' | 'unique_viewers'>>(
        this.db,
        sql`select ${countsByType},
              count(distinct ${events.userId}) filter (where ${events.type} = 'view') as unique_viewers
            from ${events} where ${events.videoId} = ${videoId}`,
      ),
      queryRows<{ day: string } & Counted<'views' | 'likes' | 'shares'>>(
        this.db,
        sql`with days as (
              select generate_series(${today} - interval '29 days', ${today}, interval '1 day') as day
            ), counted as (
              select date_trunc('day', ${events.createdAt} at time zone 'UTC') as day, ${countsByType}
              from ${events}
              where ${events.videoId} = ${videoId}
                and ${events.createdAt} >= (${today} - interval '29 days') at time zone 'UTC'
              group by 1
            )
            select ${isoUtc(sql`days.day`)} as day,
              coalesce(counted.views, 0) as views,
              coalesce(counted.likes, 0) as likes,
              coalesce(counted.shares, 0) as shares
            from days left join counted on counted.day = days.day
            order by days.day`,
      ),
    ]);
    if (video === undefined) return null;
    return {
      videoId,
      totals: toCounts(totals),
      uniqueViewers: Number(totals.unique_viewers),
      last30Days: days.map((row) => ({ day: new Date(row.day), ...toCounts(row) })),
    };
  }

  /**
   * A platform-wide time series over the range: hourly for `24h`, daily otherwise. The first and
   * last buckets are partial (the window is exactly `now - range` to now).
   */
  async platformMetric(metric: PlatformMetric, range: AnalyticsRange): Promise<MetricSeries> {
    const bucket: Bucket = range === '24h' ? 'hour' : 'day';
    const { table, createdAt, value, where } = metricSource(metric);
    const inRange = sql`${createdAt} > ${since(range)}${where === undefined ? sql`` : sql` and ${where}`}`;
    // Buckets are computed on UTC wall-clock timestamps (no time zone), so that a day is always
    // 24 hours whatever the session's TimeZone setting.
    const truncate = (timestamp: SQL) => sql`date_trunc(${bucket}, (${timestamp}) at time zone 'UTC')`;
    const [points, [overall]] = await Promise.all([
      queryRows<{ start: string } & Counted<'value'>>(
        this.db,
        sql`with buckets as (
              select generate_series(${truncate(since(range))}, ${truncate(sql`now()`)}, ${`1 ${bucket}`}::interval) as start
            ), counted as (
              select ${truncate(sql`${createdAt}`)} as start, ${value} as value
              from ${table} where ${inRange}
              group by 1
            )
            select ${isoUtc(sql`buckets.start`)} as start, coalesce(counted.value, 0) as value
            from buckets left join counted on counted.start = buckets.start
            order by buckets.start`,
      ),
      queryRows<Counted<'total'>>(this.db, sql`select ${value} as total from ${table} where ${inRange}`),
    ]);
    return {
      metric,
      range,
      bucket,
      total: Number(overall.total),
      points: points.map((row) => ({ start: new Date(row.start), value: Number(row.value) })),
    };
  }

  /**
   * The videos with the highest score over the last 7 days, highest first (ties by id). Score: the
   * sum over their events of {@link TRENDING_WEIGHTS} (view 1, like 3, share 5), times
   * {@link TRENDING_RECENT_FACTOR} for events of the last 24 hours.
   */
  async trending(limit: number): Promise<TrendingVideo[]> {
    const recent = sql`${events.createdAt} > ${since('24h')}`;
    const weight = sql`case ${events.type}
      when 'view' then ${TRENDING_WEIGHTS.view}::int
      when 'like' then ${TRENDING_WEIGHTS.like}::int
      else ${TRENDING_WEIGHTS.share}::int end`;
    const rows = await queryRows<
      { video_id: string; user_id: string; title: string; category: string } & Counted<
        'score' | 'events24h' | 'events7d'
      >
    >(
      this.db,
      sql`with scored as (
            select ${events.videoId} as video_id,
              sum(${weight} * case when ${recent} then ${TRENDING_RECENT_FACTOR}::int else 1 end) as score,
              count(*) filter (where ${recent}) as events24h,
              count(*) as events7d
            from ${events}
            where ${events.createdAt} > ${since('7d')}
            group by ${events.videoId}
          )
          select scored.video_id, ${videos.userId} as user_id, ${videos.title} as title,
            ${videos.category} as category, scored.score, scored.events24h, scored.events7d
          from scored join ${videos} on ${videos.id} = scored.video_id
          order by scored.score desc, scored.video_id
          limit ${limit}`,
    );
    return rows.map((row) => ({
      videoId: row.video_id,
      userId: row.user_id,
      title: row.title,
      category: row.category,
      score: Number(row.score),
      events24h: Number(row.events24h),
      events7d: Number(row.events7d),
    }));
  }

  /** Platform totals over the range. */
  async summary(range: AnalyticsRange): Promise<AnalyticsSummary> {
    const [row] = await queryRows<
      Counted<
        | 'views'
        | 'likes'
        | 'shares'
        | 'events'
        | 'active_users'
        | 'active_videos'
        | 'new_users'
        | 'new_videos'
        | 'users'
        | 'videos'
      >
    >(
      this.db,
      sql`select activity.*,
            (select count(*) from ${users} where ${users.createdAt} > ${since(range)}) as new_users,
            (select count(*) from ${videos} where ${videos.createdAt} > ${since(range)}) as new_videos,
            (select count(*) from ${users}) as users,
            (select count(*) from ${videos}) as videos
          from (
            select ${countsByType}, count(*) as events,
              count(distinct ${events.userId}) as active_users,
              count(distinct ${events.videoId}) as active_videos
            from ${events} where ${events.createdAt} > ${since(range)}
          ) as activity`,
    );
    return {
      range,
      ...toCounts(row),
      events: Number(row.events),
      activeUsers: Number(row.active_users),
      activeVideos: Number(row.active_videos),
      newUsers: Number(row.new_users),
      newVideos: Number(row.new_videos),
      totals: { users: Number(row.users), videos: Number(row.videos) },
    };
  }
}

/** Where a platform metric is counted from, and how. */
function metricSource(metric: PlatformMetric): { table: SQL; createdAt: SQL; value: SQL; where?: SQL } {
  switch (metric) {
    case 'views':
    case 'likes':
    case 'shares':
      return {
        table: sql`${events}`,
        createdAt: sql`${events.createdAt}`,
        value: sql`count(*)`,
        where: sql`${events.type} = ${EVENT_TYPE_OF[metric]}`,
      };
    case 'active-users':
      return {
        table: sql`${events}`,
        createdAt: sql`${events.createdAt}`,
        value: sql`count(distinct ${events.userId})`,
      };
    case 'new-videos':
      return { table: sql`${videos}`, createdAt: sql`${videos.createdAt}`, value: sql`count(*)` };
  }
}
