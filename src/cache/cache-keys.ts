import { createHash } from 'node:crypto';

/** One part of a cache key. Parts are encoded, so any input is data, never key or pattern syntax. */
export type KeyPart = string | number | boolean;
/** A key relative to its namespace: a single part or a tuple of parts (`['page', userId, 2]`). */
export type CacheKey = KeyPart | readonly KeyPart[];

/** Marks "any sequence of characters" in a {@link KeyPattern}; every other part matches literally. */
export const ANY = Symbol('vidcache.any');
/** A pattern relative to a namespace, e.g. `['user-videos', userId, ANY]`. */
export type KeyPattern = readonly (KeyPart | typeof ANY)[];

/** Relative keys longer than this are replaced by a hash, so Redis keys stay short and bounded. */
export const MAX_KEY_LENGTH = 200;

// `%` is the escape character itself; `*?[]\` are Redis glob syntax; `:` separates parts; `{}` are
// Redis Cluster hash-tag syntax; `#` starts a hashed key. Encoding them (RFC 3986 style) makes every
// part a literal.
const RESERVED = /[%*?[\]\\:{}#]/g;
const escapeChar = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

/** Encodes one key part; distinct inputs always give distinct outputs (the encoding is injective). */
export function encodeKeyPart(part: KeyPart): string {
  const text = typeof part === 'string' ? part : String(part);
  return text.replace(RESERVED, escapeChar);
}

/** The relative key as stored, hashing keys that would be too long. */
export function encodeKey(key: CacheKey): string {
  const encoded = typeof key === 'object' ? key.map(encodeKeyPart).join(':') : encodeKeyPart(key);
  if (encoded.length <= MAX_KEY_LENGTH) return encoded;
  // `#` is reserved, so no key kept as is can look like a hashed one; a digest of the encoded form
  // keeps long keys distinct.
  return `#${createHash('sha256').update(encoded).digest('base64url')}`;
}

/** `<prefix>:<namespace>:` — every entry of a namespace starts with it. */
export const namespacePrefix = (prefix: string, namespace: string) => `${prefix}:${namespace}:`;

/** The full key of an entry: `<prefix>:<namespace>:<encoded key>`. */
export const fullKey = (prefix: string, namespace: string, key: CacheKey) =>
  namespacePrefix(prefix, namespace) + encodeKey(key);

/**
 * The Redis glob of a relative pattern. Literal parts are encoded (so they contain no glob syntax);
 * only {@link ANY} becomes `*`.
 */
export function patternGlob(pattern: KeyPattern): string {
  return pattern.map((part) => (part === ANY ? '*' : encodeKeyPart(part))).join(':');
}

/**
 * A matcher for a Redis glob (`*`, `?`, `[...]`, `\` escapes), used to apply pattern evictions to L1
 * with exactly the semantics Redis applies to L2.
 */
export function globMatcher(glob: string): (key: string) => boolean {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '\\' && i + 1 < glob.length) source += escapeRegExp(glob[++i]!);
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) source += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        const negate = body.startsWith('^');
        if (negate) body = body.slice(1);
        source += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
        i = end;
      }
    } else source += escapeRegExp(c);
  }
  const regExp = new RegExp(`^${source}$`);
  return (key) => regExp.test(key);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
