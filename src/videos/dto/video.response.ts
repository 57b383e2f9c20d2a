import { ApiProperty } from '@nestjs/swagger';
import { VIDEO_STATUSES, type VideoStatus } from '../../database/index.js';
import type { VideoStatusInfo } from '../videos.repository.js';
import type { VideoPage, VideoView } from '../video.view.js';

/**
 * A video's metadata. View/like/share counters are analytics (`GET /analytics/videos/:id`) and the
 * processing status is `GET /videos/:id/status`: neither is part of this representation, so events
 * and status updates never make it stale.
 */
export class VideoResponse implements VideoView {
  @ApiProperty({ example: 'vid_000001' })
  id!: string;

  @ApiProperty({ example: 'usr_000001', description: 'The owner' })
  userId!: string;

  @ApiProperty({ description: 'Exactly as sent' })
  title!: string;

  @ApiProperty({ description: 'Exactly as sent' })
  description!: string;

  @ApiProperty({ example: 'music' })
  category!: string;

  @ApiProperty({ type: 'integer', nullable: true })
  durationSec!: number | null;

  @ApiProperty({ type: 'string', nullable: true, example: 'mp4' })
  format!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;
}

/** A page of videos. */
export class VideoPageResponse implements VideoPage {
  @ApiProperty({ type: [VideoResponse] })
  items!: VideoResponse[];

  @ApiProperty({ example: 1 })
  page!: number;

  @ApiProperty({ example: 20 })
  perPage!: number;

  @ApiProperty({ description: 'Items in the whole list' })
  total!: number;
}

export class VideoStatusResponse implements VideoStatusInfo {
  @ApiProperty({ example: 'vid_000001' })
  id!: string;

  @ApiProperty({ enum: VIDEO_STATUSES })
  status!: VideoStatus;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100 })
  progress!: number;

  @ApiProperty({ type: String, format: 'date-time', description: 'Last change to the video or its status' })
  updatedAt!: Date;
}
