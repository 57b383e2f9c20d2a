/**
 * What readiness needs from the database: a ping that resolves when it answers and rejects
 * otherwise. The database module provides it under {@link DATABASE_PROBE}.
 *
 * @example
 * // in a global DatabaseModule
 * providers: [{ provide: DATABASE_PROBE, useExisting: DatabaseService }],
 * exports: [DATABASE_PROBE],
 */
export interface DatabaseHealthProbe {
  ping(): Promise<void>;
  /**
   * State of the circuit breaker in front of the database, when there is one: while it is not
   * `closed` the database is known to be down, and readiness says so without pinging.
   */
  circuit?(): 'closed' | 'open' | 'half-open';
}

/** Injection token of the {@link DatabaseHealthProbe}. */
export const DATABASE_PROBE = Symbol('DATABASE_PROBE');

/** The keys of the readiness body's `info` / `error` / `details`. */
export const HEALTH_KEY = {
  process: 'process',
  database: 'database',
  cache: 'cache',
  warmup: 'warmup',
  lifecycle: 'lifecycle',
} as const;
