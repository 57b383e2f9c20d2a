import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { DatabaseConfig } from '../config/database.config.js';
import type { CircuitState } from '../common/circuit-breaker.js';
import { DatabaseConnection, type Database, type DatabaseKind } from './database.connection.js';
import type { SourceGuardStats } from './source-guard.js';
import { seeded, seedSkipped } from './database.messages.js';
import { seedIfEmpty } from './seed.js';

/**
 * The open database of this process: what readiness checks and shutdown need. Repositories do not
 * use it; they inject the Drizzle database under the `DRIZZLE` token.
 */
@Injectable()
export class DatabaseService implements OnApplicationShutdown {
  private static readonly logger = new Logger('Database');

  constructor(private readonly connection: DatabaseConnection) {}

  /**
   * Opens the configured database and makes it ready to serve:
   * 1. connect (PGlite under DATA_DIR or in memory, or a PostgreSQL pool) and log which one;
   * 2. apply pending migrations;
   * 3. seed it if it is empty and SEED_ON_START allows.
   * Steps 2 and 3 hold the start-up lock, so replicas starting together take turns.
   */
  static async start(config: DatabaseConfig): Promise<DatabaseService> {
    const { logger } = DatabaseService;
    const connection = await DatabaseConnection.open(config, logger);
    logger.log(connection.describe());
    try {
      await connection.withStartupLock(async () => {
        await connection.migrate();
        if (!config.seedOnStart) return;
        const report = await seedIfEmpty(connection.db, { scale: config.seedScale });
        if (report === null) logger.log(seedSkipped());
        else logger.log(seeded(report));
      });
    } catch (error) {
      // Start-up failed: release the pool or the PGlite instance so the process can exit.
      await connection.close();
      throw error;
    }
    return new DatabaseService(connection);
  }

  /** Which database this process uses. */
  get kind(): DatabaseKind {
    return this.connection.kind;
  }

  /** The Drizzle database (also provided under the `DRIZZLE` token). */
  get db(): Database {
    return this.connection.db;
  }

  /**
   * Resolves when the database answers within a few seconds, rejects otherwise (also after
   * shutdown). For the readiness probe.
   */
  ping(): Promise<void> {
    return this.connection.ping();
  }

  /** State of the circuit breaker in front of the database (readiness reports it). */
  circuit(): CircuitState {
    return this.connection.guard.state;
  }

  /** Timeouts, outages, circuit transitions and bulkhead counters of the database (for metrics). */
  sourceStats(): SourceGuardStats {
    return this.connection.sourceStats();
  }

  /** Closes the pool or the PGlite instance; harmless if already closed. */
  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}
