import { Body, Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { RecordedEventResponse } from './dto/analytics.response.js';
import { RecordEventDto } from './dto/record-event.dto.js';
import type { RecordedEvent } from './events.repository.js';
import { EventsService } from './events.service.js';

@ApiTags('events')
@Controller('events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Post()
  @ApiOperation({
    summary: 'Record a view, like or share',
    description:
      'Evicts the cached analytics of that video and of that user, and nothing else: popular videos ' +
      '(5 min), trending, summary and platform metrics (60 s) are not evicted by events, so that they stay ' +
      'cacheable under load; they catch up within their TTL. Video metadata carries no counters and is ' +
      'not affected. Emits `engagement.recorded`.',
  })
  @ApiCreatedResponse({ type: RecordedEventResponse })
  @ApiErrors(400, 404, 413, 415)
  record(@Body() body: RecordEventDto): Promise<RecordedEvent> {
    return this.events.record(body);
  }
}
