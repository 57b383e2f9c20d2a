import { registerAs } from '@nestjs/config';
import {
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Max,
  Min,
  ValidateBy,
} from 'class-validator';
import { EnvBoolean, validateEnv } from './validate-env.js';

/** `DATA_DIR` value that keeps the embedded database in memory (nothing written to disk). */
export const IN_MEMORY_DATA_DIR = 'memory://';

/** Where the data lives and whether to seed it, read once from the environment at start-up. */
export interface DatabaseConfig {
  /** A PostgreSQL server (`postgres://…`); undefined selects the embedded PGlite. */
  url: string | undefined;
  /** Directory of the embedded database, or {@link IN_MEMORY_DATA_DIR}. Unused when `url` is set. */
  dataDir: string;
  /**
   * Seed the database at start-up when it holds no users. Default: only the embedded database,
   * which exists to try the service out; a server is seeded only when asked, so a production
   * replica pointed at an empty PostgreSQL never fills it with demo data.
   */
  seedOnStart: boolean;
  /** Multiplies the seed sizes (1 = 1,000 users, 20,000 videos, 200,000 events). */
  seedScale: number;
  /** How long and how many database calls may wait; defaults to {@link DEFAULT_DATABASE_LIMITS}. */
  limits?: DatabaseLimits;
}

/** The bounds every database call runs under (see the README's reliability section). */
export interface DatabaseLimits {
  /** Hard bound of one call, client side: waiting for a slot, a connection and the answer together. */
  queryTimeoutMs: number;
  /** Server-side `statement_timeout` of every connection, so the server gives up on its own too. */
  statementTimeoutMs: number;
  /** Bound on getting a connection: a free one from the pool, or a new one (TCP and start-up). */
  connectTimeoutMs: number;
  /** Connections the pool may open. */
  poolMax: number;
  /** Database calls that may run at once (the bulkhead). */
  maxConcurrent: number;
  /** Calls that may wait for a slot; more are answered 503 at once. */
  queueLimit: number;
  /** How long a call may wait for a slot before it is answered 503. */
  queueTimeoutMs: number;
  /** Consecutive connection failures or timeouts that open the circuit. */
  breakerThreshold: number;
  /** How long an open circuit fails calls at once before it probes the database. */
  breakerCooldownMs: number;
}

/** The default bounds: no request waits on the database longer than 5 s. */
export const DEFAULT_DATABASE_LIMITS: Readonly<DatabaseLimits> = {
  queryTimeoutMs: 5_000,
  statementTimeoutMs: 4_000,
  connectTimeoutMs: 3_000,
  poolMax: 10,
  maxConcurrent: 10,
  queueLimit: 200,
  queueTimeoutMs: 1_000,
  breakerThreshold: 3,
  breakerCooldownMs: 2_000,
};

function isPostgresUrl(value: unknown): boolean {
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'postgres:' || protocol === 'postgresql:';
}

class DatabaseEnv {
  @IsOptional()
  @ValidateBy(
    { name: 'isPostgresUrl', validator: { validate: isPostgresUrl } },
    { message: 'must be a postgres:// or postgresql:// URL' },
  )
  DATABASE_URL?: string;

  @IsString()
  @IsNotEmpty()
  DATA_DIR: string = './data';

  @IsOptional()
  @EnvBoolean()
  @IsBoolean({ message: 'must be true or false' })
  SEED_ON_START?: boolean;

  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a number' })
  @IsPositive({ message: 'must be greater than 0' })
  @Max(10, { message: 'must be at most 10' })
  SEED_SCALE: number = 1;

  @IsInt()
  @Min(1)
  @Max(600_000)
  DATABASE_QUERY_TIMEOUT_MS: number = DEFAULT_DATABASE_LIMITS.queryTimeoutMs;

  @IsInt()
  @Min(1)
  @Max(600_000)
  DATABASE_STATEMENT_TIMEOUT_MS: number = DEFAULT_DATABASE_LIMITS.statementTimeoutMs;

  @IsInt()
  @Min(1)
  @Max(600_000)
  DATABASE_CONNECT_TIMEOUT_MS: number = DEFAULT_DATABASE_LIMITS.connectTimeoutMs;

  @IsInt()
  @Min(1)
  @Max(1_000)
  DATABASE_POOL_MAX: number = DEFAULT_DATABASE_LIMITS.poolMax;

  @IsInt()
  @Min(1)
  @Max(1_000)
  DATABASE_MAX_CONCURRENCY: number = DEFAULT_DATABASE_LIMITS.maxConcurrent;

  @IsInt()
  @Min(0)
  @Max(100_000)
  DATABASE_QUEUE_LIMIT: number = DEFAULT_DATABASE_LIMITS.queueLimit;

  @IsInt()
  @Min(0)
  @Max(600_000)
  DATABASE_QUEUE_TIMEOUT_MS: number = DEFAULT_DATABASE_LIMITS.queueTimeoutMs;

  @IsInt()
  @Min(1)
  @Max(1_000)
  DATABASE_BREAKER_THRESHOLD: number = DEFAULT_DATABASE_LIMITS.breakerThreshold;

  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_BREAKER_COOLDOWN_MS: number = DEFAULT_DATABASE_LIMITS.breakerCooldownMs;
}

/**
 * Reads and validates the database variables. Throws InvalidConfigError (one line naming the
 * variable) on a bad value. Used by {@link databaseConfig} and by the seed command.
 */
export function loadDatabaseConfig(env: Record<string, string | undefined> = process.env): DatabaseConfig {
  const valid = validateEnv(DatabaseEnv, env);
  return {
    url: valid.DATABASE_URL,
    dataDir: valid.DATA_DIR,
    seedOnStart: valid.SEED_ON_START ?? valid.DATABASE_URL === undefined,
    seedScale: valid.SEED_SCALE,
    limits: {
      queryTimeoutMs: valid.DATABASE_QUERY_TIMEOUT_MS,
      statementTimeoutMs: valid.DATABASE_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: valid.DATABASE_CONNECT_TIMEOUT_MS,
      poolMax: valid.DATABASE_POOL_MAX,
      maxConcurrent: valid.DATABASE_MAX_CONCURRENCY,
      queueLimit: valid.DATABASE_QUEUE_LIMIT,
      queueTimeoutMs: valid.DATABASE_QUEUE_TIMEOUT_MS,
      breakerThreshold: valid.DATABASE_BREAKER_THRESHOLD,
      breakerCooldownMs: valid.DATABASE_BREAKER_COOLDOWN_MS,
    },
  };
}

/**
 * The `database` configuration namespace.
 *
 * @example
 * constructor(@Inject(databaseConfig.KEY) private readonly config: DatabaseConfig) {}
 */
export const databaseConfig = registerAs('database', (): DatabaseConfig => loadDatabaseConfig());
