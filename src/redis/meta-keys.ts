/** The key segment of operational state; namespace names can never be it. */
export const META_SEGMENT = '%meta';

/**
 * A Redis key for operational state (locks, markers, rate-limit counters): `<prefix>:%meta:<parts>`.
 * Namespace names can never be `%meta`, so cache scans and pattern evictions never reach these keys.
 *
 * @example metaKey('vidcache', 'warmup', 'lock') === 'vidcache:%meta:warmup:lock'
 */
export const metaKey = (prefix: string, ...parts: readonly string[]) =>
  [prefix, META_SEGMENT, ...parts].join(':');
