import { createHash, randomBytes } from 'node:crypto';

/** Prefix of user tokens, so a leaked one is recognisable (and never mistaken for a session id). */
export const USER_TOKEN_PREFIX = 'utk_';

/** A new secret user token: 256 random bits, base64url. */
export function newUserToken(): string {
  return `${USER_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * What the database keeps of a token: its SHA-256, hex. A fast hash is enough here (unlike for a
 * password): the token carries 256 random bits, so nothing can be guessed from the digest.
 */
export function hashUserToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
