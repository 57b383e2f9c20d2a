import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { VIDEO_STATUSES, type VideoStatus } from '../../database/index.js';
import { PROGRESS_MAX } from '../videos.constants.js';

/** `PUT /videos/:id/status`. */
export class SetStatusDto {
  @ApiProperty({ enum: VIDEO_STATUSES })
  @IsIn(VIDEO_STATUSES)
  status!: VideoStatus;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: PROGRESS_MAX,
    description: 'Percent done; left unchanged when absent',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(PROGRESS_MAX)
  progress?: number;
}
