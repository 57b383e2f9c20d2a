import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { EVENT_TYPES, type EventType } from '../../database/index.js';
import { IsEntityId } from '../../common/validation/index.js';
import type { RecordEventInput } from '../events.service.js';

/** `POST /events`. */
export class RecordEventDto implements RecordEventInput {
  @ApiProperty({ enum: EVENT_TYPES })
  @IsIn(EVENT_TYPES)
  type!: EventType;

  @ApiProperty({ example: 'vid_000001', description: 'Must exist (404 otherwise)' })
  @IsEntityId('vid')
  videoId!: string;

  @ApiProperty({ example: 'usr_000001', description: 'Must exist (404 otherwise)' })
  @IsEntityId('usr')
  userId!: string;
}
