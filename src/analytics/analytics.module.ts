import { Module } from '@nestjs/common';
import { AnalyticsEventsListener } from './analytics-events.listener.js';
import { AnalyticsController } from './analytics.controller.js';
import { AnalyticsRepository } from './analytics.repository.js';
import { AnalyticsService } from './analytics.service.js';
import { AnalyticsWarmup } from './analytics.warmup.js';
import { EventsController } from './events.controller.js';
import { EventsRepository } from './events.repository.js';
import { EventsService } from './events.service.js';

/**
 * Events (`POST /events`) and the analytics computed from them, cached in the `analytics`
 * namespace. Emits `engagement.recorded`; handles `video.updated` and `video.deleted`.
 */
@Module({
  controllers: [AnalyticsController, EventsController],
  providers: [
    AnalyticsRepository,
    AnalyticsService,
    AnalyticsEventsListener,
    AnalyticsWarmup,
    EventsRepository,
    EventsService,
  ],
  exports: [AnalyticsService],
})
export class AnalyticsModule {}
