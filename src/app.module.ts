import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CacheModule } from './cache/index.js';
import { appConfig } from './config/app.config.js';
import { cacheConfig, type CacheConfig } from './config/cache.config.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, load: [appConfig, cacheConfig], ignoreEnvFile: true }),
    CacheModule.forRootAsync({ inject: [cacheConfig.KEY], useFactory: (config: CacheConfig) => config }),
  ],
})
export class AppModule {}
