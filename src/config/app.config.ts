import { registerAs } from '@nestjs/config';
import {
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import { EnvBoolean, validateEnv } from './validate-env.js';

class AppEnv {
  @IsInt()
  @Min(0)
  @Max(65_535)
  PORT: number = 3000;

  @IsString()
  @IsNotEmpty()
  HOST: string = '0.0.0.0';

  /** Bearer token of `/admin/*`; unset closes the admin endpoints to everyone. */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  ADMIN_TOKEN?: string;

  @EnvBoolean()
  @IsBoolean({ message: 'must be true or false' })
  WARMUP_ON_BOOT: boolean = true;

  /** Five- or six-field cron expression. */
  @Matches(/^(\S+\s+){4,5}\S+$/, { message: 'must be a cron expression of 5 or 6 fields' })
  WARMUP_CRON: string = '0 * * * *';

  /** When true, a replica whose Redis is down is not ready. */
  @EnvBoolean()
  @IsBoolean({ message: 'must be true or false' })
  REDIS_REQUIRED: boolean = false;

  /**
   * Trust X-Forwarded-For from these proxies (comma-separated addresses or CIDRs, or `true` for
   * any), so rate limits and logs see the client's address behind an ingress. Default: none.
   */
  @IsOptional()
  @Matches(/^(true|false|[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*)$/, {
    message: 'must be true, false, or comma-separated proxy addresses or CIDRs',
  })
  TRUST_PROXY?: string;

  /** Largest accepted request body, in bytes (larger: 413). */
  @IsInt()
  @Min(1_024)
  @Max(64 * 1024 * 1024)
  BODY_LIMIT: number = 1024 * 1024;
}

export interface AppConfig {
  port: number;
  host: string;
  adminToken: string | undefined;
  warmupOnBoot: boolean;
  warmupCron: string;
  redisRequired: boolean;
  bodyLimit: number;
  trustProxy: boolean | string;
}

export const appConfig = registerAs('app', (): AppConfig => {
  const env = validateEnv(AppEnv);
  return {
    port: env.PORT,
    host: env.HOST,
    adminToken: env.ADMIN_TOKEN,
    warmupOnBoot: env.WARMUP_ON_BOOT,
    warmupCron: env.WARMUP_CRON,
    redisRequired: env.REDIS_REQUIRED,
    bodyLimit: env.BODY_LIMIT,
    trustProxy:
      env.TRUST_PROXY === 'true' ? true : env.TRUST_PROXY === 'false' ? false : (env.TRUST_PROXY ?? false),
  };
});
