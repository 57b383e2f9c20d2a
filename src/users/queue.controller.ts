import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { setLocation } from '../common/http/location.js';
import { ApiIdParam, PaginationQuery, ParseIdPipe, type Page } from '../common/validation/index.js';
import { EnqueueVideoDto } from './dto/enqueue-video.dto.js';
import { QueueItemResponse, QueuePageResponse } from './dto/queue.response.js';
import type { QueueItem } from './queue.repository.js';
import { QueueService } from './queue.service.js';
import { notInQueue, queueVideoNotFound, userNotFound } from './users.messages.js';

interface StatusWritable {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

@ApiTags('queue')
@ApiErrors(400)
@ApiIdParam('usr')
@Controller('users/:id/queue')
export class QueueController {
  constructor(private readonly queue: QueueService) {}

  /** Adds a video to the end of the user's queue: 201 when added, 200 when it was already there. */
  @Post()
  @ApiOperation({ summary: 'Add a video to the end of a user’s queue' })
  @ApiCreatedResponse({ type: QueueItemResponse, description: 'Added' })
  @ApiOkResponse({ type: QueueItemResponse, description: 'Already queued: its place is kept' })
  @ApiErrors(
    {
      status: 404,
      description: 'Unknown user, or unknown video (`videoId`)',
      message: queueVideoNotFound('vid_000042'),
    },
    413,
    415,
  )
  async add(
    @Param('id', new ParseIdPipe('usr')) userId: string,
    @Body() dto: EnqueueVideoDto,
    @Res({ passthrough: true }) reply: StatusWritable,
  ): Promise<QueueItem> {
    const { item, created } = await this.queue.add(userId, dto.videoId);
    if (created) setLocation(reply, 'users', userId, 'queue', item.videoId);
    else reply.status(HttpStatus.OK);
    return item;
  }

  /** The user's queue, oldest first, paged (the whole queue is cached; pages are cut from it). */
  @Get()
  @ApiOperation({ summary: 'A user’s queue, oldest first, paged' })
  @ApiOkResponse({ type: QueuePageResponse })
  @ApiErrors(404)
  async list(
    @Param('id', new ParseIdPipe('usr')) userId: string,
    @Query() { page, perPage }: PaginationQuery,
  ): Promise<Page<QueueItem>> {
    const items = await this.queue.list(userId);
    if (!items) throw new NotFoundException(userNotFound(userId));
    const start = (page - 1) * perPage;
    return { items: items.slice(start, start + perPage), page, perPage, total: items.length };
  }

  @Delete(':videoId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a video from a user’s queue' })
  @ApiIdParam('vid', 'videoId')
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors({
    status: 404,
    description: 'The video is not in the queue',
    message: notInQueue('usr_000001', 'vid_000042'),
  })
  async remove(
    @Param('id', new ParseIdPipe('usr')) userId: string,
    @Param('videoId', new ParseIdPipe('vid', 'videoId')) videoId: string,
  ): Promise<void> {
    if (!(await this.queue.remove(userId, videoId))) throw new NotFoundException(notInQueue(userId, videoId));
  }
}
