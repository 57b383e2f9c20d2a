import {
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { SECURITY_SCHEME } from '../common/auth/bearer-token.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { setLocation } from '../common/http/location.js';
import { ParseIdPipe } from '../common/validation/index.js';
import { CreateSessionDto } from './dto/create-session.dto.js';
import { SessionResponse } from './dto/session.response.js';
import type { Session } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { UserTokenGuard, TokenOwner } from './user-token.guard.js';
import { notTokenOwner, sessionNotFound, sessionUserNotFound } from './users.messages.js';

@ApiTags('sessions')
@ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid input; the message names the field' })
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /** Opens a session for 24 hours, for the user whose token authorizes the request. */
  @Post()
  @UseGuards(UserTokenGuard)
  @ApiBearerAuth(SECURITY_SCHEME.user)
  @ApiCreatedResponse({ type: SessionResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'No user token, or one of no user' })
  @ApiForbiddenResponse({ type: ErrorResponse, description: 'The token is another user’s' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'The user named by `userId` does not exist' })
  @ApiPayloadTooLargeResponse({ type: ErrorResponse })
  async create(
    @Body() dto: CreateSessionDto,
    @TokenOwner() owner: string,
    @Res({ passthrough: true }) reply: { header(name: string, value: string): unknown },
  ): Promise<Session> {
    if (owner !== dto.userId) throw new ForbiddenException(notTokenOwner(dto.userId));
    const session = await this.sessions.create(dto.userId, dto.data);
    if (!session) throw new NotFoundException(sessionUserNotFound(dto.userId));
    setLocation(reply, 'sessions', session.id);
    return session;
  }

  @Get(':id')
  @ApiOkResponse({ type: SessionResponse })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'Unknown or expired session' })
  async find(@Param('id', new ParseIdPipe('ses')) id: string): Promise<Session> {
    const session = await this.sessions.find(id);
    if (!session) throw new NotFoundException(sessionNotFound(id));
    return session;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'Unknown or expired session' })
  async delete(@Param('id', new ParseIdPipe('ses')) id: string): Promise<void> {
    if (!(await this.sessions.delete(id))) throw new NotFoundException(sessionNotFound(id));
  }
}
