/** `Authorization: Bearer <token>` (RFC 6750): the scheme is case-insensitive, the token one word. */
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined when the header is absent
 * or uses another scheme. One parser for every bearer scheme (admin, user token, session).
 *
 * @example
 * bearerToken('Bearer abc') // 'abc'
 * bearerToken('Basic abc') // undefined
 */
export function bearerToken(header: unknown): string | undefined {
  return typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
}

/** Names of the OpenAPI security schemes, one per kind of bearer token. */
export const SECURITY_SCHEME = {
  admin: 'admin-token',
  user: 'user-token',
  session: 'session',
} as const;
