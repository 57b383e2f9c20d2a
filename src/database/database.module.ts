import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { databaseConfig, type DatabaseConfig } from '../config/database.config.js';
import { DATABASE_PROBE } from '../health/health.constants.js';
import { DRIZZLE } from './database.constants.js';
import { DatabaseService } from './database.service.js';

/**
 * Opens, migrates and (when empty) seeds the database before anything can use it, and closes it on
 * shutdown. Global: feature modules list their repositories as providers and inject `DRIZZLE`.
 *
 * @example
 * \@Injectable()
 * export class VideosRepository {
 *   constructor(\@Inject(DRIZZLE) private readonly db: Database) {}
 * }
 */
@Global()
@Module({
  imports: [ConfigModule.forFeature(databaseConfig)],
  providers: [
    {
      provide: DatabaseService,
      inject: [databaseConfig.KEY],
      useFactory: (config: DatabaseConfig) => DatabaseService.start(config),
    },
    {
      provide: DRIZZLE,
      inject: [DatabaseService],
      useFactory: (database: DatabaseService) => database.db,
    },
    // Readiness pings the database through this token (see src/health/health.constants.ts).
    { provide: DATABASE_PROBE, useExisting: DatabaseService },
  ],
  exports: [DatabaseService, DRIZZLE, DATABASE_PROBE],
})
export class DatabaseModule {}
