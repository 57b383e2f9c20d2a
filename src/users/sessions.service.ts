import { Injectable } from '@nestjs/common';
import { CacheConfig, CacheContext, CacheEvict, Cacheable } from '../cache/index.js';
import { entityIdPattern } from '../common/validation/index.js';
import { ID_PREFIX, type JsonValue } from '../database/index.js';
import { SESSION_LIFETIME_MS, SESSION_NAMESPACE, sessionKey } from './users.constants.js';
import { SessionsRepository, type Session } from './sessions.repository.js';

const SESSION_ID = entityIdPattern(ID_PREFIX.session);

/**
 * Sessions: the database is their system of record, the cache (`session:session:<id>`) fronts it.
 * Losing Redis loses nothing.
 */
@CacheConfig({ namespace: SESSION_NAMESPACE })
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly cacheContext: CacheContext,
  ) {}

  /** A new session for the user; null when the user does not exist. Nothing to evict: the id is new. */
  create(userId: string, data: JsonValue | undefined): Promise<Session | null> {
    return this.sessions.create({ userId, data, expiresAt: new Date(Date.now() + SESSION_LIFETIME_MS) });
  }

  /**
   * The live session, or null. A cached entry may outlive its session (it was stored at some point
   * of the session's life, for the policy's full TTL), so expiry is checked on every read and an
   * expired entry is evicted.
   */
  async find(id: string): Promise<Session | null> {
    const session = await this.load(id);
    if (session !== null && session.expiresAt.getTime() <= Date.now()) {
      await this.forget(id);
      return null;
    }
    return session;
  }

  /**
   * The user a bearer session id belongs to, or null when it names no live session. Resolved
   * through the cache (an L1 hit costs no I/O); a deleted session is evicted everywhere at once,
   * so it stops authorizing as soon as its DELETE answers.
   *
   * The lookup keeps its outcome to itself: a request's `Cache-Status` describes the resource it
   * asked for, not the credential that came with it (it is still counted in the cache's stats).
   */
  async ownerOf(sessionId: string | undefined): Promise<string | null> {
    if (sessionId === undefined || !SESSION_ID.test(sessionId)) return null;
    const session = await this.cacheContext.runWith([], () => this.find(sessionId));
    return session?.userId ?? null;
  }

  @Cacheable({ key: (id: string) => sessionKey(id) })
  load(id: string): Promise<Session | null> {
    return this.sessions.findById(id);
  }

  /** Deletes the session; whether it was live. Evicts it either way (an absent session is absent). */
  @CacheEvict({ key: (id: string) => sessionKey(id) })
  delete(id: string): Promise<boolean> {
    return this.sessions.delete(id);
  }

  @CacheEvict({ key: (id: string) => sessionKey(id) })
  async forget(_id: string): Promise<void> {}
}
