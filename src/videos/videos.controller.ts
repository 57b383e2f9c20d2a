import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Patch,
  Post,
  Put,
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
import { ServeL1Hits } from '../cache/index.js';
import { setLocation } from '../common/http/location.js';
import { ApiIdParam, ParseIdPipe, type Page } from '../common/validation/index.js';
import { CreateVideoDto } from './dto/create-video.dto.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { SetStatusDto } from './dto/set-status.dto.js';
import { UpdateVideoDto } from './dto/update-video.dto.js';
import { PopularQuery, SearchQuery } from './dto/video-queries.dto.js';
import { VideoPageResponse, VideoResponse, VideoStatusResponse } from './dto/video.response.js';
import type { VideoView } from './video.view.js';
import { videoNotFound } from './videos.messages.js';
import type { VideoStatusInfo } from './videos.repository.js';
import { VideosService } from './videos.service.js';

const VIDEO_ID = new ParseIdPipe('vid');
const idParam = ApiIdParam('vid');

/** Returns the value, or answers 404 for the video id when there is none. */
function found<T>(value: T | null, id: string): T {
  if (value === null) throw new NotFoundException(videoNotFound(id));
  return value;
}

@ApiTags('videos')
@Controller('videos')
export class VideosController {
  constructor(private readonly videos: VideosService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a video',
    description:
      'The owner must exist. Evicts the owner’s cached list pages, popular lists of its category and of ' +
      'all categories, and every cached search; emits `video.created`.',
  })
  @ApiCreatedResponse({ type: VideoResponse })
  @ApiErrors(400, 404, 413, 415)
  async create(
    @Body() body: CreateVideoDto,
    @Res({ passthrough: true }) reply: { header(name: string, value: string): unknown },
  ): Promise<VideoView> {
    const video = await this.videos.create(body);
    setLocation(reply, 'videos', video.id);
    return video;
  }

  // Static routes are declared before `:id` (Fastify would prefer them anyway).
  @Get('popular')
  @ApiOperation({
    summary: 'Most viewed videos',
    description:
      'One page of the `limit` most viewed videos, in one category or over all of them. Cached 5 minutes ' +
      '(`video` namespace) and refreshed early in the background; deliberately NOT evicted by each ' +
      '`POST /events`, so the order can be up to 5 minutes old. Video writes evict it.',
  })
  @ApiOkResponse({ type: VideoPageResponse })
  @ApiErrors(400)
  popular(@Query() query: PopularQuery): Promise<Page<VideoView>> {
    return this.videos.popular(query.category, query.limit);
  }

  @Get('search')
  @ApiOperation({
    summary: 'Search videos',
    description:
      'Titles and descriptions containing `q` (case-insensitive, plain text), most viewed first. Cached ' +
      'per normalized query, category and page (`search` namespace, 10 minutes); creating a video, or ' +
      'changing a title, description or category, clears the cached searches.',
  })
  @ApiOkResponse({ type: VideoPageResponse })
  @ApiErrors(400)
  search(@Query() query: SearchQuery): Promise<Page<VideoView>> {
    return this.videos.search(query);
  }

  @Get(':id')
  @idParam
  @ApiOperation({
    summary: 'A video’s metadata',
    description:
      'Cached (`video` namespace, 1 hour; unknown ids 30 s). Counters are at `GET /analytics/videos/:id` ' +
      'and the processing status at `GET /videos/:id/status`.',
  })
  @ApiOkResponse({ type: VideoResponse })
  @ApiErrors(400, 404)
  // A video L1 holds is sent before Nest's pipeline; an unknown id (cached null), a bad id and an
  // L1 miss come here.
  @ServeL1Hits({
    method: `${VideosService.name}.findById`,
    args: ({ id }) => (VIDEO_ID.accepts(id) ? [id] : undefined),
  })
  async findOne(@Param('id', VIDEO_ID) id: string): Promise<VideoView> {
    return found(await this.videos.findById(id), id);
  }

  @Patch(':id')
  @idParam
  @ApiOperation({
    summary: 'Change a video’s metadata',
    description: 'Evicts the video and every cached list or aggregate containing it; emits `video.updated`.',
  })
  @ApiOkResponse({ type: VideoResponse })
  @ApiErrors(400, 404, 413, 415)
  update(@Param('id', VIDEO_ID) id: string, @Body() body: UpdateVideoDto): Promise<VideoView> {
    return this.videos.update(id, body);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @idParam
  @ApiOperation({
    summary: 'Delete a video',
    description:
      'Its events and queue entries go with it. Evicts the video, its status, the owner’s list pages and ' +
      'every cached list or aggregate containing it; emits `video.deleted`.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404)
  async remove(@Param('id', VIDEO_ID) id: string): Promise<void> {
    await this.videos.delete(id);
  }

  @Get(':id/status')
  @idParam
  @ApiOperation({
    summary: 'A video’s processing status',
    description: 'Cached briefly (`video-status` namespace, 5 minutes); `PUT` writes it through.',
  })
  @ApiOkResponse({ type: VideoStatusResponse })
  @ApiErrors(400, 404)
  async status(@Param('id', VIDEO_ID) id: string): Promise<VideoStatusInfo> {
    return found(await this.videos.status(id), id);
  }

  @Put(':id/status')
  @idParam
  @ApiOperation({
    summary: 'Set a video’s processing status',
    description: 'The new status is written through to every cache tier and replica.',
  })
  @ApiOkResponse({ type: VideoStatusResponse })
  @ApiErrors(400, 404, 413, 415)
  setStatus(@Param('id', VIDEO_ID) id: string, @Body() body: SetStatusDto): Promise<VideoStatusInfo> {
    return this.videos.setStatus(id, body.status, body.progress);
  }
}
