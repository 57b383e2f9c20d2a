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
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto.js';
import { setLocation } from '../common/http/location.js';
import { PaginationQuery, ParseIdPipe, type Page } from '../common/validation/index.js';
import { EnqueueVideoDto } from './dto/enqueue-video.dto.js';
import { QueueItemResponse, QueuePageResponse } from './dto/queue.response.js';
import type { QueueItem } from './queue.repository.js';
import { QueueService } from './queue.service.js';
import { notInQueue, userNotFound } from './users.messages.js';

interface StatusWritable {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

@ApiTags('queue')
@ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid input; the message names the field' })
@Controller('users/:id/queue')
export class QueueController {
  constructor(private readonly queue: QueueService) {}

  /** Adds a video to the end of the user's queue: 201 when added, 200 when it was already there. */
  @Post()
  @ApiCreatedResponse({ type: QueueItemResponse, description: 'Added' })
  @ApiOkResponse({ type: QueueItemResponse, description: 'Already queued: its place is kept' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'Unknown user, or unknown video (`videoId`)' })
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
  @ApiOkResponse({ type: QueuePageResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
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
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'The video is not in the queue' })
  async remove(
    @Param('id', new ParseIdPipe('usr')) userId: string,
    @Param('videoId', new ParseIdPipe('vid', 'videoId')) videoId: string,
  ): Promise<void> {
    if (!(await this.queue.remove(userId, videoId))) throw new NotFoundException(notInQueue(userId, videoId));
  }
}
