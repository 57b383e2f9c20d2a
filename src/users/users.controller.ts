import {
  Body,
  Controller,
  Get,
  Headers,
  NotFoundException,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiSecurity,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { bearerToken, SECURITY_SCHEME } from '../common/auth/bearer-token.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { setLocation } from '../common/http/location.js';
import { ParseIdPipe } from '../common/validation/index.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { UserQuery } from './dto/user-query.dto.js';
import { CreatedUserResponse, PrivateUserResponse, UserResponse } from './dto/user.response.js';
import { SessionsService } from './sessions.service.js';
import type { PrivateUser, PublicUser } from './users.repository.js';
import { userNotFound } from './users.messages.js';
import { UsersService, type CreatedUser } from './users.service.js';

@ApiTags('users')
@ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid input; the message names the field' })
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  /** Creates a user and answers, this once, the user's secret token (only its hash is kept). */
  @Post()
  @ApiCreatedResponse({ type: CreatedUserResponse })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Another user has this email (in any case)' })
  @ApiPayloadTooLargeResponse({ type: ErrorResponse })
  async create(
    @Body() dto: CreateUserDto,
    @Res({ passthrough: true }) reply: { header(name: string, value: string): unknown },
  ): Promise<CreatedUser> {
    const user = await this.users.create(dto);
    setLocation(reply, 'users', user.id);
    return user;
  }

  /**
   * The public profile, cached. `?include=private` adds email and settings, read uncached, only
   * for a request that carries one of the user's own sessions; any other request gets the public
   * profile.
   */
  @Get(':id')
  @ApiBearerAuth(SECURITY_SCHEME.session)
  @ApiSecurity({})
  @ApiExtraModels(UserResponse, PrivateUserResponse)
  @ApiOkResponse({
    description:
      'The public profile; the whole profile with `?include=private` and `Authorization: Bearer <session id>` of one of the user’s own sessions',
    schema: { oneOf: [{ $ref: getSchemaPath(UserResponse) }, { $ref: getSchemaPath(PrivateUserResponse) }] },
  })
  @ApiNotFoundResponse({ type: ErrorResponse })
  async find(
    @Param('id', new ParseIdPipe('usr')) id: string,
    @Query() query: UserQuery,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<PublicUser | PrivateUser> {
    const owner =
      query.include === 'private' ? await this.sessions.ownerOf(bearerToken(authorization)) : null;
    const user = await this.users.find(id, owner === id);
    if (!user) throw new NotFoundException(userNotFound(id));
    return user;
  }

  /** Changes any of name, email, settings (settings are replaced); evicts the cached profile. */
  @Patch(':id')
  @ApiOkResponse({ type: PrivateUserResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Another user has this email (in any case)' })
  @ApiPayloadTooLargeResponse({ type: ErrorResponse })
  async update(
    @Param('id', new ParseIdPipe('usr')) id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<PrivateUser> {
    const user = await this.users.update(id, dto);
    if (!user) throw new NotFoundException(userNotFound(id));
    return user;
  }
}
