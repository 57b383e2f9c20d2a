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
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { SECURITY_SCHEME } from '../common/auth/bearer-token.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { setLocation } from '../common/http/location.js';
import { ApiIdParam, ParseIdPipe } from '../common/validation/index.js';
import { CreateSessionDto } from './dto/create-session.dto.js';
import { SessionResponse } from './dto/session.response.js';
import type { Session } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { UserTokenGuard, TokenOwner } from './user-token.guard.js';
import { notTokenOwner, sessionNotFound, sessionUserNotFound, userTokenRequired } from './users.messages.js';

const UNKNOWN_SESSION = {
  status: 404,
  description: 'Unknown or expired session',
  message: sessionNotFound('ses_000042'),
} as const;

@ApiTags('sessions')
@ApiErrors(400)
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /** Opens a session for 24 hours, for the user whose token authorizes the request. */
  @Post()
  @ApiOperation({ summary: 'Open a session for the user whose token authorizes the request' })
  @UseGuards(UserTokenGuard)
  @ApiBearerAuth(SECURITY_SCHEME.user)
  @ApiCreatedResponse({ type: SessionResponse })
  @ApiErrors(
    { status: 401, description: 'No user token, or one of no user', message: userTokenRequired() },
    { status: 403, description: 'The token is another user’s', message: notTokenOwner('usr_000042') },
    {
      status: 404,
      description: 'The user named by `userId` does not exist',
      message: sessionUserNotFound('usr_000042'),
    },
    413,
    415,
  )
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
  @ApiOperation({ summary: 'A session, through the cache' })
  @ApiOkResponse({ type: SessionResponse })
  @ApiIdParam('ses')
  @ApiErrors(UNKNOWN_SESSION)
  async find(@Param('id', new ParseIdPipe('ses')) id: string): Promise<Session> {
    const session = await this.sessions.find(id);
    if (!session) throw new NotFoundException(sessionNotFound(id));
    return session;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End a session; every replica forgets it' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiIdParam('ses')
  @ApiErrors(UNKNOWN_SESSION)
  async delete(@Param('id', new ParseIdPipe('ses')) id: string): Promise<void> {
    if (!(await this.sessions.delete(id))) throw new NotFoundException(sessionNotFound(id));
  }
}
