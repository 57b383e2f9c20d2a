import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiIdParam, PaginationQuery, ParseIdPipe } from '../common/validation/index.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { VideoPageResponse } from './dto/video.response.js';
import type { VideoPage } from './video.view.js';
import { userNotFound } from './videos.messages.js';
import { VideosService } from './videos.service.js';

/** `GET /users/:id/videos`: served by the videos module, which owns the list and its cache. */
@ApiTags('videos')
@Controller('users')
export class UserVideosController {
  constructor(private readonly videos: VideosService) {}

  @Get(':id/videos')
  @ApiIdParam('usr')
  @ApiOperation({
    summary: 'A user’s videos, newest first',
    description:
      'Cached per page (`video` namespace, 1 hour); creating or deleting one of the user’s videos evicts ' +
      'every page, changing one evicts the pages that contain it.',
  })
  @ApiOkResponse({ type: VideoPageResponse })
  @ApiErrors(400, 404)
  async list(
    @Param('id', new ParseIdPipe('usr')) userId: string,
    @Query() query: PaginationQuery,
  ): Promise<VideoPage> {
    const page = await this.videos.listByUser(userId, query.page, query.perPage);
    if (page === null) throw new NotFoundException(userNotFound(userId));
    return page;
  }
}
