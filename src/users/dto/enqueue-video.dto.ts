import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { VIDEO_ID_PATTERN } from '../users.constants.js';
import { idMessage } from '../users.messages.js';

export class EnqueueVideoDto {
  @ApiProperty({ pattern: VIDEO_ID_PATTERN.source, example: 'vid_000042' })
  @IsString()
  @Matches(VIDEO_ID_PATTERN, { message: idMessage('videoId', 'video', 'vid') })
  videoId!: string;
}
