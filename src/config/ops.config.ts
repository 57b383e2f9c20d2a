import type { DynamicModule } from '@nestjs/common';
import { ConfigModule, registerAs } from '@nestjs/config';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { EnvBoolean, validateEnv } from './validate-env.js';

export type LogFormat = 'json' | 'pretty';

/** The levels an operator can choose, most severe first; each one shows the levels before it. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

class OpsEnv {
  /** Readiness waits this long for the first warm-up, then stops waiting. */
  @IsInt()
  @Min(0)
  WARMUP_READY_TIMEOUT_MS: number = 30_000;

  /** Lifetime of the warm-up lock; the leader extends it while it runs, so it only expires if the leader dies. */
  @IsInt()
  @Min(1_000)
  WARMUP_LOCK_TTL_MS: number = 30_000;

  /** How long a replica that did not get the lock waits for the leader before warming on its own. */
  @IsInt()
  @Min(0)
  WARMUP_FOLLOWER_WAIT_MS: number = 120_000;

  /** One warm-up item taking longer than this is counted as failed and the run moves on. */
  @IsInt()
  @Min(1)
  WARMUP_ITEM_TIMEOUT_MS: number = 10_000;

  /** Warm-up items run at most this many at a time, so a run never crowds out real traffic. */
  @IsInt()
  @Min(1)
  @Max(64)
  WARMUP_CONCURRENCY: number = 4;

  /** After SIGTERM, readiness is 503 for this long while requests keep being served, then the server closes. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_DRAIN_MS?: number;

  /** Rate-limit window. */
  @IsInt()
  @Min(1)
  RATE_LIMIT_TTL_MS: number = 60_000;

  /** Requests per window and client IP, shared by every replica. */
  @IsInt()
  @Min(1)
  RATE_LIMIT_MAX: number = 1_000;

  /**
   * How often each replica sends the hits it admitted to Redis and learns the other replicas'
   * (requests are decided in memory and never wait on Redis). Shorter: less overshoot across
   * replicas, more Redis calls while there is traffic.
   */
  @IsInt()
  @Min(10)
  @Max(1_000)
  RATE_LIMIT_SYNC_MS: number = 50;

  /** Bound of each dependency check of the readiness probe (Redis ping, database ping). */
  @IsInt()
  @Min(1)
  @Max(30_000)
  HEALTH_CHECK_TIMEOUT_MS: number = 1_000;

  /** How often the cache alerts are checked and logged. */
  @IsInt()
  @Min(100)
  ALERT_CHECK_INTERVAL_MS: number = 60_000;

  @IsOptional()
  @IsIn(['json', 'pretty'], { message: 'must be json or pretty' })
  LOG_FORMAT?: LogFormat;

  /** The most detailed level written; `debug` adds one line per request (method, route, status, duration, cache tier, request id). */
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevelName = 'log';

  /** Learn which cached reads follow one another and pre-load cold successors. */
  @EnvBoolean()
  @IsBoolean({ message: 'must be true or false' })
  PREDICTIVE_WARMING: boolean = true;

  /** Budget of predictive pre-loads, per second (they also never run more than 4 at once). */
  @IsInt()
  @Min(1)
  @Max(10_000)
  PREDICTIVE_MAX_PER_SECOND: number = 50;
}

/** What running the service among other replicas needs: warm-up, probes, shutdown, rate limits, logs. */
export interface OpsConfig {
  warmupReadyTimeoutMs: number;
  warmupLockTtlMs: number;
  warmupFollowerWaitMs: number;
  warmupItemTimeoutMs: number;
  warmupConcurrency: number;
  shutdownDrainMs: number;
  rateLimitTtlMs: number;
  rateLimitMax: number;
  rateLimitSyncMs: number;
  healthCheckTimeoutMs: number;
  alertCheckIntervalMs: number;
  logFormat: LogFormat;
  logLevel: LogLevelName;
  predictiveWarming: boolean;
  predictiveMaxPerSecond: number;
}

const isProduction = (env: Record<string, string | undefined>) => env.NODE_ENV === 'production';

/**
 * Reads and validates the operations variables; throws InvalidConfigError (one line naming the
 * variable) on a bad value. In production the drain defaults to 5 s and logs to JSON; elsewhere
 * (development, tests) shutdown is immediate and logs are readable.
 */
export function loadOpsConfig(env: Record<string, string | undefined> = process.env): OpsConfig {
  const valid = validateEnv(OpsEnv, env);
  return {
    warmupReadyTimeoutMs: valid.WARMUP_READY_TIMEOUT_MS,
    warmupLockTtlMs: valid.WARMUP_LOCK_TTL_MS,
    warmupFollowerWaitMs: valid.WARMUP_FOLLOWER_WAIT_MS,
    warmupItemTimeoutMs: valid.WARMUP_ITEM_TIMEOUT_MS,
    warmupConcurrency: valid.WARMUP_CONCURRENCY,
    shutdownDrainMs: valid.SHUTDOWN_DRAIN_MS ?? (isProduction(env) ? 5_000 : 0),
    rateLimitTtlMs: valid.RATE_LIMIT_TTL_MS,
    rateLimitMax: valid.RATE_LIMIT_MAX,
    rateLimitSyncMs: valid.RATE_LIMIT_SYNC_MS,
    healthCheckTimeoutMs: valid.HEALTH_CHECK_TIMEOUT_MS,
    alertCheckIntervalMs: valid.ALERT_CHECK_INTERVAL_MS,
    logFormat: valid.LOG_FORMAT ?? (isProduction(env) ? 'json' : 'pretty'),
    logLevel: valid.LOG_LEVEL,
    predictiveWarming: valid.PREDICTIVE_WARMING,
    predictiveMaxPerSecond: valid.PREDICTIVE_MAX_PER_SECOND,
  };
}

/**
 * The `ops` configuration namespace.
 *
 * @example
 * constructor(@Inject(opsConfig.KEY) private readonly ops: OpsConfig) {}
 */
export const opsConfig = registerAs('ops', (): OpsConfig => loadOpsConfig());

/** The `ops` namespace as one module object, imported by every module that reads it (one instance). */
export const OpsConfigModule: DynamicModule = ConfigModule.forFeature(opsConfig);
