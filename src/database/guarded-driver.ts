import type { Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { findSourceUnavailable } from '../common/source-unavailable.error.js';
import { classifyDatabaseOutage } from './database-errors.js';
import type { SourceGuard } from './source-guard.js';

type QueryArgs = [config: unknown, values?: unknown];
type PoolClientLike = Pick<pg.PoolClient, 'query' | 'release'>;

/**
 * Sends every query of `pool` through `guard`, in place (the pool stays a `pg.Pool`, which Drizzle
 * checks before it opens a transaction):
 *
 * - `pool.query()` takes a connection and runs the query under the guard's hard bound; past it, the
 *   connection is reset, so a query stuck on a stalled network can never reach the server later;
 * - `pool.connect()` (Drizzle's transactions) gets its connection under the guard, and each
 *   statement on it is watched: the first outage breaks the connection, so the rollback that follows
 *   fails at once instead of waiting for another timeout.
 *
 * Only the promise forms are guarded: the callback forms are what pg-pool uses internally.
 */
export function guardPool(pool: pg.Pool, guard: SourceGuard): void {
  const connect = pool.connect.bind(pool) as (callback?: unknown) => Promise<pg.PoolClient>;

  const guardedQuery = (...[config, values]: QueryArgs) =>
    guard.run(async (signal) => {
      const client = await connectUnlessAborted(connect, signal);
      const reset = () => resetConnection(client);
      signal.addEventListener('abort', reset, { once: true });
      try {
        const result = await client.query(config as string, values as unknown[]);
        client.release();
        return result;
      } catch (error) {
        // A connection that failed (or was reset) must not go back to the pool; one that answered
        // with an SQL error (a duplicate key) is healthy.
        const failed = signal.aborted || classifyDatabaseOutage(error) !== undefined;
        client.release(failed ? asError(error) : undefined);
        throw error;
      } finally {
        signal.removeEventListener('abort', reset);
      }
    });

  const guardedConnect = (callback?: unknown) => {
    if (callback !== undefined) return connect(callback);
    return guard
      .run((signal) => connectUnlessAborted(connect, signal))
      .then((client) => watched(client, guard));
  };

  Object.assign(pool, { query: guardedQuery, connect: guardedConnect });
}

/**
 * Sends PGlite's queries and transactions through `guard`. PGlite runs in this process, so a query
 * past the bound cannot be interrupted: the caller stops waiting and the bulkhead frees its slot.
 */
export function guardPGlite(client: PGlite, guard: SourceGuard): void {
  const query = client.query.bind(client);
  const transaction = client.transaction.bind(client);
  Object.assign(client, {
    query: (...args: Parameters<PGlite['query']>) => guard.run(() => query(...args)),
    transaction: (...args: Parameters<PGlite['transaction']>) => guard.run(() => transaction(...args)),
  });
}

const quieted = new WeakSet<pg.PoolClient>();

async function connectUnlessAborted(
  connect: () => Promise<pg.PoolClient>,
  signal: AbortSignal,
): Promise<pg.PoolClient> {
  const client = await connect();
  if (!quieted.has(client)) {
    quieted.add(client);
    // A checked-out connection that the server drops between two statements (pg_terminate_backend)
    // emits 'error' with no query to receive it, and pg-pool listens only while it is idle: unheard,
    // the event would crash the process. The next statement on it fails, and that failure counts.
    client.on('error', () => undefined);
  }
  // The guard gave up while the connection was being made: the caller is gone, the connection is fine.
  if (signal.aborted) {
    client.release();
    throw asError(signal.reason);
  }
  return client;
}

/**
 * A transaction's connection whose statements the guard watches. Once one fails for an outage, the
 * connection is reset and handed back to the pool at once, and every later statement fails at once
 * with the same error. Handing it back here matters: Drizzle sends `begin` before the block that
 * releases the connection, so a `begin` that fails would otherwise keep it checked out for good
 * (and the pool could never close).
 */
function watched(client: pg.PoolClient, guard: SourceGuard): PoolClientLike {
  let broken: Error | undefined;
  let released = false;
  const release = (error?: Error | boolean) => {
    if (released) return;
    released = true;
    client.release(error);
  };
  const query = (...[config, values]: QueryArgs) => {
    if (broken) return Promise.reject(broken);
    return guard.observe(client.query(config as string, values as unknown[])).catch((error: unknown) => {
      if (findSourceUnavailable(error)) {
        broken = asError(error);
        resetConnection(client);
        release(broken);
      }
      throw error;
    });
  };
  return {
    query: query as pg.PoolClient['query'],
    release: (error?: Error | boolean) => release(broken ?? error),
  };
}

/**
 * Drops the connection with a TCP reset rather than a polite close: bytes the stalled network still
 * holds (the query) are discarded instead of being delivered, and run, once it recovers.
 */
function resetConnection(client: pg.PoolClient): void {
  const stream = client.connection.stream as Partial<Socket> & { destroy(): void };
  if (typeof stream.resetAndDestroy === 'function') stream.resetAndDestroy();
  else stream.destroy();
}

const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));
