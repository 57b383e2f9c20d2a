import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto.js';
import { ParseIdPipe } from '../common/validation/index.js';
import { CreateSessionDto } from './dto/create-session.dto.js';
import { SessionResponse } from './dto/session.response.js';
import type { Session } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { sessionNotFound, sessionUserNotFound } from './users.messages.js';

@ApiTags('sessions')
@ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid input; the message names the field' })
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /** Opens a session for 24 hours. */
  @Post()
  @ApiCreatedResponse({ type: SessionResponse })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'The user named by `userId` does not exist' })
  @ApiPayloadTooLargeResponse({ type: ErrorResponse })
  async create(@Body() dto: CreateSessionDto): Promise<Session> {
    const session = await this.sessions.create(dto.userId, dto.data);
    if (!session) throw new NotFoundException(sessionUserNotFound(dto.userId));
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
