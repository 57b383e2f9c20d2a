/** Injection token of the Drizzle database (type `Database`) that every repository uses. */
export const DRIZZLE = 'DRIZZLE';

/**
 * Key of the PostgreSQL advisory lock held while a replica migrates and seeds, so that replicas
 * starting together against an empty server do not race to create the same tables and rows.
 */
export const STARTUP_LOCK_KEY = 0x76_69_64_63; // "vidc"

/** Readiness pings that take longer than this count as failures. */
export const PING_TIMEOUT_MS = 3_000;

/** Prefixes of the ids the server chooses: `usr_000001` when seeded, `usr_<uuid>` at runtime. */
export const ID_PREFIX = {
  user: 'usr',
  video: 'vid',
  session: 'ses',
  template: 'tpl',
} as const;

export type IdPrefix = (typeof ID_PREFIX)[keyof typeof ID_PREFIX];

/** Name of the database as a source: in SourceUnavailableError, logs and metric labels. */
export const DATABASE_SOURCE = 'database';
