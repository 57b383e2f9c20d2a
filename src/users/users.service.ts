import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CacheConfig, CacheEvict, Cacheable } from '../cache/index.js';
import { DomainEvent, userTag, type UserUpdatedEvent } from '../common/events/domain-events.js';
import { USER_NAMESPACE, profileKey } from './users.constants.js';
import {
  UsersRepository,
  type CreateUserInput,
  type PrivateUser,
  type PublicUser,
  type UpdateUserInput,
} from './users.repository.js';

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

  /** Nothing to evict: the id is new, so no reader can have cached it. */
  create(input: CreateUserInput): Promise<PrivateUser> {
    return this.users.create(input);
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
    const user = await this.commitUpdate(id, patch);
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
