import type { CacheKey } from '../cache/index.js';

/** Cache namespaces of the users module (policies in `cache-policy.ts`). */
export const USER_NAMESPACE = 'user';
export const SESSION_NAMESPACE = 'session';

/** The public profile of a user, in {@link USER_NAMESPACE}. Never holds email or settings. */
export const profileKey = (userId: string): CacheKey => ['profile', userId];
/** A user's processing queue, in {@link USER_NAMESPACE}. */
export const queueKey = (userId: string): CacheKey => ['queue', userId];
/** A session, in {@link SESSION_NAMESPACE}. */
export const sessionKey = (sessionId: string): CacheKey => ['session', sessionId];

/** How long a new session lives (the `session` policy keeps entries as long). */
export const SESSION_LIFETIME_MS = 24 * 60 * 60 * 1000;

export const NAME_MAX_LENGTH = 200;
export const EMAIL_MAX_LENGTH = 320;
