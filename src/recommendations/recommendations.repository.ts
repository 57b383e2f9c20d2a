import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { DRIZZLE, pageOffset, queryRows, type Database, type Paged } from '../database/index.js';
import type { VideoView } from '../videos/video.view.js';
import type { RecommendationWeights } from './recommendation-weights.js';
import { NEIGHBOURS, RECENT_VIDEOS } from './recommendations.constants.js';

/** A recommended video: its metadata as every video list serves it, and its score (higher is better). */
export type ScoredVideo = VideoView & { score: number };

export interface RecommendationsQuery {
  userId: string;
  weights: RecommendationWeights;
  page: number;
  perPage: number;
}

type Row = {
  user_found: boolean;
  total: number;
  id: string | null;
  user_id: string;
  title: string;
  description: string;
  category: string;
  duration_sec: number | null;
  format: string | null;
  created_at: string;
  score: number;
};

@Injectable()
export class RecommendationsRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  /**
   * One page of the videos recommended to a user, best first; null when the user does not exist.
   *
   * User-neighbour co-occurrence, in one query:
   * 1. `watched`: every video the user has an event on (any event counts as watching), and `mine`,
   *    the most recent of them;
   * 2. `neighbours`: the other users who watched the most of those, with that count as similarity;
   * 3. `scored`: every video a neighbour has events on, scored by the sum over those events of
   *    similarity × the weight of the event's type, leaving out what the user watched (a hashed
   *    anti-join on `watched`, not a lookup per candidate) and the user's own videos;
   * 4. the page, ties broken by id, joined to one row that always exists (so the total and whether
   *    the user exists arrive even for a page past the end).
   */
  async forUser({
    userId,
    weights,
    page,
    perPage,
  }: RecommendationsQuery): Promise<Paged<ScoredVideo> | null> {
    // Raw rows: timestamps come back as ISO text (the drivers disagree on their own formats).
    const rows = await queryRows<Row>(
      this.db,
      sql`
        with watched as (
          select video_id, max(created_at) as last_at from events where user_id = ${userId}
          group by video_id
        ),
        mine as (
          select video_id from watched order by last_at desc, video_id limit ${RECENT_VIDEOS}
        ),
        neighbours as (
          select e.user_id, count(distinct e.video_id) as similarity
          from events e join mine m on m.video_id = e.video_id
          where e.user_id <> ${userId}
          group by e.user_id order by similarity desc, e.user_id limit ${NEIGHBOURS}
        ),
        scored as (
          select e.video_id, sum(
            n.similarity * case e.type
              when 'view' then ${weights.view}::float8
              when 'like' then ${weights.like}::float8
              else ${weights.share}::float8
            end
          ) as score
          from events e join neighbours n on n.user_id = e.user_id
          join videos v on v.id = e.video_id
          where v.user_id <> ${userId}
            and e.video_id not in (select video_id from watched)
          group by e.video_id
        ),
        ranked as (
          select v.id, v.user_id, v.title, v.description, v.category, v.duration_sec, v.format,
                 to_char(v.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
                 s.score
          from scored s join videos v on v.id = s.video_id
          order by s.score desc, v.id collate "C"
          limit ${perPage} offset ${pageOffset(page, perPage)}
        ),
        summary as (
          select exists (select 1 from users where id = ${userId}) as user_found,
                 (select count(*) from scored)::int as total
        )
        select summary.user_found, summary.total, ranked.*
        from summary left join ranked on true
        order by ranked.score desc, ranked.id collate "C"
      `,
    );
    const [first] = rows;
    if (first === undefined || !first.user_found) return null;
    const items = rows.flatMap((row): ScoredVideo[] =>
      row.id === null
        ? []
        : [
            {
              id: row.id,
              userId: row.user_id,
              title: row.title,
              description: row.description,
              category: row.category,
              durationSec: row.duration_sec,
              format: row.format,
              createdAt: new Date(row.created_at),
              score: Number(row.score),
            },
          ],
    );
    return { items, total: first.total };
  }
}
