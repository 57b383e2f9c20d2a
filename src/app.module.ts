import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { CacheModule, CacheStatusInterceptor } from './cache/index.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { appConfig } from './config/app.config.js';
import { cacheConfig, type CacheConfig } from './config/cache.config.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, load: [appConfig, cacheConfig], ignoreEnvFile: true }),
    CacheModule.forRootAsync({ inject: [cacheConfig.KEY], useFactory: (config: CacheConfig) => config }),
  ],
  providers: [
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    { provide: APP_INTERCEPTOR, useClass: CacheStatusInterceptor },
  ],
})
export class AppModule {}
