// PostgreSQL stores text as UTF-8 and has no way to store U+0000, and a lone UTF-16 surrogate has
// no UTF-8 encoding at all (the driver would silently replace it with U+FFFD). Every other
// JavaScript string round-trips byte for byte. DTO validation uses these checks to answer 400
// instead of failing (NUL) or corrupting (surrogate) at the database.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether the string contains U+0000, which a PostgreSQL text column rejects. */
export function containsNul(value: string): boolean {
  return value.includes('\u0000');
}

/** Whether the string contains an unpaired UTF-16 surrogate, which UTF-8 cannot encode. */
export function containsLoneSurrogate(value: string): boolean {
  return LONE_SURROGATE.test(value);
}

/**
 * Whether a text column stores this string exactly. JSON columns (user settings, session data,
 * config values) store any value `JSON.stringify` accepts, so they need no such check.
 *
 * @example
 * isStorableText('héllo 👋') // true
 * isStorableText('a\u0000b') // false
 */
export function isStorableText(value: string): boolean {
  return !containsNul(value) && !containsLoneSurrogate(value);
}
