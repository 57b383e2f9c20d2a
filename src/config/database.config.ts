import { registerAs } from '@nestjs/config';
import {
  IsBoolean,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Max,
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
}

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
  };
}

/**
 * The `database` configuration namespace.
 *
 * @example
 * constructor(@Inject(databaseConfig.KEY) private readonly config: DatabaseConfig) {}
 */
export const databaseConfig = registerAs('database', (): DatabaseConfig => loadDatabaseConfig());
