import { ApiProperty } from '@nestjs/swagger';

export class QueueItemResponse {
  @ApiProperty({ example: 'usr_000001' })
  userId!: string;

  @ApiProperty({ example: 'vid_000042' })
  videoId!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  addedAt!: Date;
}

/** A page of a user's queue, oldest first. */
export class QueuePageResponse {
  @ApiProperty({ type: [QueueItemResponse] })
  items!: QueueItemResponse[];

  @ApiProperty({ example: 1 })
  page!: number;

  @ApiProperty({ example: 20 })
  perPage!: number;

  @ApiProperty({ description: 'Videos in the whole queue', example: 3 })
  total!: number;
}
