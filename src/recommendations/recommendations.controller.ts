import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { ApiIdParam, PaginationQuery, ParseIdPipe } from '../common/validation/index.js';
import { userNotFound } from '../users/users.messages.js';
import { RecommendationPageResponse } from './dto/recommendation.response.js';
import { RecommendationsService, type RecommendationPage } from './recommendations.service.js';

/** `GET /users/:id/recommendations`. */
@ApiTags('users')
@Controller('users')
export class RecommendationsController {
  constructor(private readonly recommendations: RecommendationsService) {}

  @Get(':id/recommendations')
  @ApiIdParam('usr')
  @ApiOperation({
    summary: 'Videos recommended to a user, best first',
    description:
      'Videos the user has not watched (no event of theirs) and does not own, scored from the events of ' +
      'the users who watched the same videos: each event counts its type’s weight (`recommendations.weights`: ' +
      'view, like, share) times how many videos that user has in common with this one. Cached per page ' +
      '(`recommendations` namespace); an event of this user evicts every page of theirs.',
  })
  @ApiOkResponse({ type: RecommendationPageResponse })
  @ApiErrors(400, 404)
  async list(
    @Param('id', new ParseIdPipe('usr')) userId: string,
    @Query() query: PaginationQuery,
  ): Promise<RecommendationPage> {
    const page = await this.recommendations.forUser(userId, query.page, query.perPage);
    if (page === null) throw new NotFoundException(userNotFound(userId));
    return page;
  }
}
