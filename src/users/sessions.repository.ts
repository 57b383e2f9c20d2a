import { Inject, Injectable } from '@nestjs/common';
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import {
  DRIZZLE,
  ID_PREFIX,
  isForeignKeyViolation,
  newId,
  sessions,
  type Database,
  type JsonValue,
} from '../database/index.js';

export interface Session {
  id: string;
  userId: string;
  data: JsonValue;
  createdAt: Date;
  expiresAt: Date;
}

export interface CreateSessionInput {
  userId: string;
  /** Any JSON; default `{}`. */
  data?: JsonValue;
  expiresAt: Date;
}

const sessionColumns = {
  id: sessions.id,
  userId: sessions.userId,
  data: sessions.data,
  createdAt: sessions.createdAt,
  expiresAt: sessions.expiresAt,
};

/** Sessions: the database is their system of record, a cache may front it. */
@Injectable()
export class SessionsRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  /** Creates a session with a new, unguessable `ses_…` id; null when the user does not exist. */
  async create(input: CreateSessionInput): Promise<Session | null> {
    try {
      const [session] = await this.db
        .insert(sessions)
        .values({
          id: newId(ID_PREFIX.session),
          userId: input.userId,
          data: input.data === undefined ? {} : input.data,
          expiresAt: input.expiresAt,
        })
        .returning(sessionColumns);
      return session;
    } catch (error) {
      if (isForeignKeyViolation(error)) return null;
      throw error;
    }
  }

  /** The session, or null when it does not exist or has expired (by the database clock). */
  async findById(id: string): Promise<Session | null> {
    const [session] = await this.db
      .select(sessionColumns)
      .from(sessions)
      .where(and(eq(sessions.id, id), gt(sessions.expiresAt, sql`now()`)));
    return session ?? null;
  }

  /**
   * Deletes the session; whether it was live. An expired one is removed too but reported as absent,
   * as `findById` would: a client sees the same 404 from both.
   */
  async delete(id: string): Promise<boolean> {
    const [deleted] = await this.db
      .delete(sessions)
      .where(eq(sessions.id, id))
      .returning({ live: sql<boolean>`${sessions.expiresAt} > now()` });
    return deleted?.live === true;
  }

  /** Removes every expired session; returns how many. For periodic housekeeping. */
  async deleteExpired(): Promise<number> {
    const deleted = await this.db
      .delete(sessions)
      .where(lte(sessions.expiresAt, sql`now()`))
      .returning({ id: sessions.id });
    return deleted.length;
  }
}
