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
  };
});
