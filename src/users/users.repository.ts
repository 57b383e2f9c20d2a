import { Inject, Injectable } from '@nestjs/common';
import { count, desc, eq, gt, sql } from 'drizzle-orm';
import {
  DRIZZLE,
  events,
  hoursAgo,
  ID_PREFIX,
  newId,
  pickDefined,
  users,
  type Database,
  type JsonObject,
} from '../database/index.js';

/** What anyone may see of a user. */
export interface PublicUser {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** What the user themself (or an operator) may see. */
export interface PrivateUser extends PublicUser {
  email: string;
  settings: JsonObject;
}

export interface UserFields {
  name: string;
  email: string;
  /** Default `{}`. */
  settings?: JsonObject;
}

export interface CreateUserInput extends UserFields {
  /**
   * The hash of the user's token (see `user-token.ts`); the token itself is never stored. Absent:
   * the user has no token, so no request can open a session for them.
   */
  tokenHash?: string;
}

export type UpdateUserInput = Partial<UserFields>;

/** A user and the number of events (views, likes, shares) they made in the period asked for. */
export interface ActiveUser {
  id: string;
  events: number;
}

const publicColumns = {
  id: users.id,
  name: users.name,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

const privateColumns = { ...publicColumns, email: users.email, settings: users.settings };

@Injectable()
export class UsersRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  /** Creates a user with a new `usr_…` id. */
  async create(input: CreateUserInput): Promise<PrivateUser> {
    const [user] = await this.db
      .insert(users)
      .values({
        id: newId(ID_PREFIX.user),
        name: input.name,
        email: input.email,
        settings: input.settings ?? {},
        tokenHash: input.tokenHash,
      })
      .returning(privateColumns);
    return user;
  }

  /** The id of the user whose token has this hash, or null. */
  async findIdByTokenHash(tokenHash: string): Promise<string | null> {
    const [user] = await this.db.select({ id: users.id }).from(users).where(eq(users.tokenHash, tokenHash));
    return user?.id ?? null;
  }

  /** The public profile (no email, no settings), or null for an unknown id. */
  async findById(id: string): Promise<PublicUser | null> {
    const [user] = await this.db.select(publicColumns).from(users).where(eq(users.id, id));
    return user ?? null;
  }

  /** The whole profile, email and settings included, or null for an unknown id. */
  async findPrivateById(id: string): Promise<PrivateUser | null> {
    const [user] = await this.db.select(privateColumns).from(users).where(eq(users.id, id));
    return user ?? null;
  }

  /**
   * Changes the given fields (settings are replaced, not merged) and bumps `updatedAt`; an empty
   * patch changes nothing. Null for an unknown id.
   */
  async update(id: string, patch: UpdateUserInput): Promise<PrivateUser | null> {
    const changes = pickDefined(patch, ['name', 'email', 'settings']);
    if (Object.keys(changes).length === 0) return this.findPrivateById(id);
    const [user] = await this.db
      .update(users)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(users.id, id))
      .returning(privateColumns);
    return user ?? null;
  }

  async exists(id: string): Promise<boolean> {
    const [row] = await this.db.select({ id: users.id }).from(users).where(eq(users.id, id));
    return row !== undefined;
  }

  /**
   * The users who made the most events in the last `days` days, most active first (ties by id).
   * Warm-up uses it to pick whose video lists to load.
   */
  async listMostActive(limit: number, days = 7): Promise<ActiveUser[]> {
    const eventCount = count();
    return this.db
      .select({ id: events.userId, events: eventCount })
      .from(events)
      .where(gt(events.createdAt, hoursAgo(days * 24)))
      .groupBy(events.userId)
      .orderBy(desc(eventCount), events.userId)
      .limit(limit);
  }
}
