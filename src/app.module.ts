import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { AdminModule } from './admin/admin.module.js';
import { AnalyticsModule } from './analytics/analytics.module.js';
import { CacheModule } from './cache/index.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { JsonBodyGuard } from './common/validation/json-value.js';
import { LoggingModule } from './common/logging/logging.module.js';
import { RecommendationsModule } from './recommendations/recommendations.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { appConfig } from './config/app.config.js';
import { DatabaseModule } from './database/index.js';
import { cacheConfig, type CacheConfig } from './config/cache.config.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { StaticModule } from './static/static.module.js';
import { UsersModule } from './users/users.module.js';
import { VideosModule } from './videos/videos.module.js';
import { WarmupModule } from './warmup/warmup.module.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, load: [appConfig, cacheConfig], ignoreEnvFile: true }),
    CacheModule.forRootAsync({ inject: [cacheConfig.KEY], useFactory: (config: CacheConfig) => config }),
    DatabaseModule,
    EventEmitterModule.forRoot(),
    ScheduleModule.forRoot(),
    LoggingModule,
    HealthModule,
    WarmupModule,
    MetricsModule,
    AdminModule,
    RateLimitModule,
    UsersModule,
    StaticModule,
    VideosModule,
    AnalyticsModule,
    RecommendationsModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    // Before any pipe: class-transformer would overflow its stack on deeply nested bodies (a 500).
    { provide: APP_GUARD, useClass: JsonBodyGuard },
  ],
})
export class AppModule {}
