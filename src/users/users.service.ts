import { ConflictException, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CacheConfig, CacheEvict, Cacheable } from '../cache/index.js';
import { DomainEvent, userTag, type UserUpdatedEvent } from '../common/events/domain-events.js';
import { isUniqueViolation, USERS_EMAIL_UNIQUE } from '../database/index.js';
import { USER_NAMESPACE, profileKey } from './users.constants.js';
import { emailTaken } from './users.messages.js';
import {
  UsersRepository,
  type PrivateUser,
  type PublicUser,
  type UpdateUserInput,
  type UserFields,
} from './users.repository.js';
import { hashUserToken, newUserToken } from './user-token.js';

/** The write's result, or a 409 naming `email` when another user has that email (in any case). */
async function uniqueEmail<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_UNIQUE)) throw new ConflictException(emailTaken());
    throw error;
  }
}

/** A user just created: the whole profile and, this once, the user's secret token. */
export interface CreatedUser extends PrivateUser {
  token: string;
}

/**
 * User profiles. The public profile is cached under `user:profile:<id>`; email and settings never
 * enter the cache: a read that asks for them bypasses it (`condition`), and writes evict rather
 * than store what they return.
 */
@CacheConfig({ namespace: USER_NAMESPACE })
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * The ids of the users with the most events in the last week, most active first (warm-up picks
   * what to warm from it; not cached: each warm-up wants today's answer).
   */
  async mostActive(limit: number): Promise<string[]> {
    return (await this.users.listMostActive(limit)).map(({ id }) => id);
  }

  /**
   * Creates the user with a new secret token, answered here and never again: only its hash is
   * stored. Nothing to evict: the id is new, so no reader can have cached it.
   */
  async create(input: UserFields): Promise<CreatedUser> {
    const token = newUserToken();
    const user = await uniqueEmail(this.users.create({ ...input, tokenHash: hashUserToken(token) }));
    return { ...user, token };
  }

  /** The id of the user this token belongs to, or null. Never cached: it is a credential check. */
  ownerOfToken(token: string): Promise<string | null> {
    return this.users.findIdByTokenHash(hashUserToken(token));
  }

  /**
   * The public profile, cached (`null`, for an unknown id, briefly); with `includePrivate` the whole
   * profile, read from the database every time and never stored.
   */
  @Cacheable({
    key: (id: string) => profileKey(id),
    condition: (_id: string, includePrivate?: boolean) => includePrivate !== true,
    tags: (_user: PublicUser | null, id: string) => [userTag(id)],
  })
  find(id: string, includePrivate?: boolean): Promise<PublicUser | PrivateUser | null> {
    return includePrivate === true ? this.users.findPrivateById(id) : this.users.findById(id);
  }

  /**
   * Updates a user, then announces it:
   * 1. commit to the database and evict the cached profile (`commitUpdate`);
   * 2. emit `user.updated` and wait for its listeners, so that by the time the caller answers, every
   *    module caching something derived from this user has evicted it.
   * Null for an unknown id.
   */
  async update(id: string, patch: UpdateUserInput): Promise<PrivateUser | null> {
    const user = await uniqueEmail(this.commitUpdate(id, patch));
    if (user) {
      const event: UserUpdatedEvent = { userId: id };
      await this.events.emitAsync(DomainEvent.userUpdated, event);
    }
    return user;
  }

  /** The write and its eviction (the explorer wraps this method on the instance, so `this.` calls it wrapped). */
  @CacheEvict({ key: (id: string) => profileKey(id) })
  commitUpdate(id: string, patch: UpdateUserInput): Promise<PrivateUser | null> {
    return this.users.update(id, patch);
  }
}
