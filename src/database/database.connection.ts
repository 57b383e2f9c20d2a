import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Logger } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzleNodePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite, type PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import {
  DEFAULT_DATABASE_LIMITS,
  IN_MEMORY_DATA_DIR,
  type DatabaseConfig,
  type DatabaseLimits,
} from '../config/database.config.js';
import { classifyDatabaseOutage } from './database-errors.js';
import { DATABASE_SOURCE, PING_TIMEOUT_MS, STARTUP_LOCK_KEY } from './database.constants.js';
import { databaseInUse, pingTimedOut, poolError } from './database.messages.js';
import { guardPGlite, guardPool } from './guarded-driver.js';
import * as schema from './schema.js';
import { SourceGuard, type SourceGuardStats } from './source-guard.js';

/**
 * The Drizzle database every repository receives. Both drivers produce a subtype of it, so
 * repositories are written once and run on PGlite and on PostgreSQL alike.
 */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseKind = 'pglite' | 'postgres';

/** Extensions the migrations use; PGlite must be given them when it starts. */
export const PGLITE_EXTENSIONS = { pg_trgm };

/**
 * PostgreSQL's buffer cache inside PGlite. The default, 128 MB, is for a server with memory of its
 * own; in this process it only copies pages that PGlite's file system already holds in memory (or
 * the OS caches, on disk), and WebAssembly memory never shrinks once touched.
 */
export const PGLITE_SHARED_BUFFERS = '16MB';

// Resolved from this file so that it points at the checked-in migrations both when running from
// src/database (tests) and from dist/database (the built service).
const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../src/database/migrations', import.meta.url));

type Driver =
  | { kind: 'pglite'; client: PGlite; db: PgliteDatabase<typeof schema> }
  | { kind: 'postgres'; client: pg.Pool; db: NodePgDatabase<typeof schema>; open: Set<pg.Client> };

/**
 * One open database, embedded or server, with what start-up and shutdown need: migrations, a
 * start-up lock, a readiness ping and an idempotent close.
 */
export class DatabaseConnection {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly driver: Driver,
    /** Where the data lives, for the log (never includes a password). */
    readonly location: string,
    /** Bounds, bulkhead and circuit breaker of every call to this database. */
    readonly guard: SourceGuard,
  ) {}

  /**
   * Opens the database the configuration names: `url` → a node-postgres pool; otherwise PGlite
   * under `dataDir` (created if missing), or in memory for `memory://`.
   */
  static async open(config: DatabaseConfig, logger = new Logger('Database')): Promise<DatabaseConnection> {
    const limits = config.limits ?? DEFAULT_DATABASE_LIMITS;
    if (config.url !== undefined) {
      const pool = new pg.Pool({
        connectionString: config.url,
        application_name: 'vidcache',
        max: limits.poolMax,
        // Getting a connection (a free one, or a new one through TCP and start-up) is bounded...
        connectionTimeoutMillis: limits.connectTimeoutMs,
        // ...the server cancels a statement running past this on its own...
        statement_timeout: limits.statementTimeoutMs,
        // ...and the driver stops waiting for an answer (this bounds statements inside transactions;
        // every other call is bounded as a whole by the guard).
        query_timeout: limits.queryTimeoutMs,
        idleTimeoutMillis: 30_000,
      });
      // An idle client that loses its server emits 'error' on the pool; unhandled, it would crash
      // the process. The next query gets a fresh connection, and readiness reports the outage.
      pool.on('error', (error) => logger.warn(poolError(error)));
      // pool.end() resolves once it has *asked* its clients to disconnect; keep track of them so that
      // close() can wait until every socket is really gone (a dropped database, a clean exit).
      const open = new Set<pg.Client>();
      pool.on('connect', (client) => {
        open.add(client);
        client.once('end', () => open.delete(client));
      });
      // The probe bypasses the guard (it runs while the circuit is open); the pool's own timeouts
      // bound it.
      const rawQuery = pool.query.bind(pool);
      const guard = createGuard(limits, logger, () => rawQuery('select 1'));
      guardPool(pool, guard);
      const db = drizzleNodePg({ client: pool, schema });
      return new DatabaseConnection(
        { kind: 'postgres', client: pool, db, open },
        redactPassword(config.url),
        guard,
      );
    }
    const inMemory = config.dataDir === IN_MEMORY_DATA_DIR;
    const dataDir = inMemory ? undefined : resolve(config.dataDir);
    if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
    const client = await PGlite.create({
      dataDir,
      extensions: PGLITE_EXTENSIONS,
      startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
    });
    return DatabaseConnection.fromPGlite(client, dataDir ?? 'memory', limits);
  }

  /**
   * Wraps a PGlite instance that is already open (created with {@link PGLITE_EXTENSIONS}), for
   * example one restored from a data-directory dump. Closing the connection closes it.
   */
  static fromPGlite(
    client: PGlite,
    location = 'memory',
    limits: DatabaseLimits = DEFAULT_DATABASE_LIMITS,
  ): DatabaseConnection {
    const rawQuery = client.query.bind(client);
    const guard = createGuard(limits, new Logger('Database'), () => rawQuery('select 1'));
    guardPGlite(client, guard);
    const db = drizzlePglite({ client, schema });
    return new DatabaseConnection({ kind: 'pglite', client, db }, location, guard);
  }

  get kind(): DatabaseKind {
    return this.driver.kind;
  }

  get db(): Database {
    return this.driver.db;
  }

  /** The guard's counters and circuit state, for health and metrics. */
  sourceStats(): SourceGuardStats {
    return this.guard.stats();
  }

  /** One line for the start-up log: which database, and where. */
  describe(): string {
    return databaseInUse(this.kind, this.location);
  }

  /** Applies the checked-in migrations that this database has not seen yet. */
  async migrate(): Promise<void> {
    const config = { migrationsFolder: MIGRATIONS_FOLDER };
    const { driver } = this;
    // Start-up work, not a request: the per-call bound does not apply.
    await this.guard.unbounded(() =>
      driver.kind === 'pglite' ? migratePglite(driver.db, config) : migrateNodePg(driver.db, config),
    );
  }

  /**
   * Runs `task` while holding a lock that other replicas of the service take too, so that only one
   * of them migrates or seeds at a time. PGlite belongs to a single process and needs none.
   */
  async withStartupLock<T>(task: () => Promise<T>): Promise<T> {
    // Migrating and seeding may take longer than a request may wait: the per-call bound (and the
    // bulkhead and circuit) stay out of the way until the service starts serving.
    return this.guard.unbounded(() => this.lockedTask(task));
  }

  private async lockedTask<T>(task: () => Promise<T>): Promise<T> {
    if (this.driver.kind === 'pglite') return task();
    // Session-level advisory locks belong to one connection: hold a dedicated client for the
    // duration while `task` runs its queries through the rest of the pool.
    const lockClient = await this.driver.client.connect();
    try {
      await lockClient.query('select pg_advisory_lock($1)', [STARTUP_LOCK_KEY]);
      try {
        return await task();
      } finally {
        await lockClient.query('select pg_advisory_unlock($1)', [STARTUP_LOCK_KEY]);
      }
    } finally {
      lockClient.release();
    }
  }

  /** Resolves when the database answers a trivial query within `timeoutMs`; rejects otherwise. */
  async ping(timeoutMs = PING_TIMEOUT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(pingTimedOut(timeoutMs))), timeoutMs);
    });
    try {
      await Promise.race([this.db.execute(sql`select 1`), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Closes the client or pool. Safe to call any number of times; later calls await the first. */
  close(): Promise<void> {
    this.guard.stop();
    this.closing ??= this.closeDriver();
    return this.closing;
  }

  private async closeDriver(): Promise<void> {
    const { driver } = this;
    if (driver.kind === 'pglite') return driver.client.close();
    // Not events.once(): it would reject on an 'error' emitted while a client goes away.
    const ended = [...driver.open].map((client) => new Promise((resolve) => client.once('end', resolve)));
    await driver.client.end();
    await Promise.all(ended);
  }
}

function createGuard(
  limits: DatabaseLimits,
  logger: Logger,
  probe: (signal: AbortSignal) => Promise<unknown>,
): SourceGuard {
  return new SourceGuard({
    source: DATABASE_SOURCE,
    timeoutMs: limits.queryTimeoutMs,
    queueTimeoutMs: limits.queueTimeoutMs,
    maxConcurrent: limits.maxConcurrent,
    queueLimit: limits.queueLimit,
    failureThreshold: limits.breakerThreshold,
    cooldownMs: limits.breakerCooldownMs,
    classify: classifyDatabaseOutage,
    probe,
    logger,
  });
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
