import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Database } from './database.connection.js';

/**
 * Runs raw SQL and returns its rows. Both drivers answer `execute` with an object carrying `rows`,
 * but Drizzle types it per driver; this is the one place that bridges the two.
 *
 * Column values arrive as each driver decodes them (node-postgres returns int8 as a string, PGlite as
 * a number; both return timestamps as strings under Drizzle): cast in SQL, or convert, before use.
 * Prefer the query builder, which maps columns consistently; use this for catalog queries and DDL.
 */
export async function queryRows<TRow extends Record<string, unknown>>(
  db: Database,
  query: SQL,
): Promise<TRow[]> {
  const result = (await db.execute(query)) as unknown as { rows: TRow[] };
  return result.rows;
}

/**
 * Orders text by its bytes (`COLLATE "C"`) rather than by the database's locale, so that lists of
 * free text come out in the same order on PGlite and on any PostgreSQL server.
 */
export function byteOrder(column: AnyColumn): SQL {
  return sql`${column} collate "C"`;
}

/**
 * `now()` minus a fixed duration, for "the last N hours" windows. In seconds, not days:
 * PostgreSQL subtracts days from a `timestamptz` in the session's time zone, so across a
 * daylight-saving change "the last 7 days" would last an hour more or less.
 */
export function hoursAgo(hours: number): SQL {
  return sql`now() - make_interval(secs => ${hours * 3_600})`;
}
