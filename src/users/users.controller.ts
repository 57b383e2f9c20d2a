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
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { bearerToken, SECURITY_SCHEME } from '../common/auth/bearer-token.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { setLocation } from '../common/http/location.js';
import { ApiIdParam, ParseIdPipe } from '../common/validation/index.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { UserQuery } from './dto/user-query.dto.js';
import { CreatedUserResponse, PrivateUserResponse, UserResponse } from './dto/user.response.js';
import { SessionsService } from './sessions.service.js';
import type { PrivateUser, PublicUser } from './users.repository.js';
import { emailTaken, userNotFound } from './users.messages.js';
import { UsersService, type CreatedUser } from './users.service.js';

/** A duplicate email, as both writes answer it. */
const EMAIL_TAKEN = {
  status: 409,
  description: 'Another user has this email (in any case)',
  message: emailTaken(),
} as const;

@ApiTags('users')
@ApiErrors(400)
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  /** Creates a user and answers, this once, the user's secret token (only its hash is kept). */
  @Post()
  @ApiOperation({ summary: 'Create a user; answers the user’s secret token, this once' })
  @ApiCreatedResponse({ type: CreatedUserResponse })
  @ApiErrors(EMAIL_TAKEN, 413, 415)
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
  @ApiOperation({ summary: 'A user’s profile: public, or whole for the user’s own session' })
  @ApiIdParam('usr')
  @ApiBearerAuth(SECURITY_SCHEME.session)
  @ApiSecurity({})
  @ApiExtraModels(UserResponse, PrivateUserResponse)
  @ApiOkResponse({
    description:
      'The public profile; the whole profile with `?include=private` and `Authorization: Bearer <session id>` of one of the user’s own sessions',
    schema: { oneOf: [{ $ref: getSchemaPath(UserResponse) }, { $ref: getSchemaPath(PrivateUserResponse) }] },
  })
  @ApiErrors(404)
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
  @ApiOperation({ summary: 'Change a user’s name, email or settings' })
  @ApiIdParam('usr')
  @ApiOkResponse({ type: PrivateUserResponse })
  @ApiErrors(404, EMAIL_TAKEN, 413, 415)
  async update(
    @Param('id', new ParseIdPipe('usr')) id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<PrivateUser> {
    const user = await this.users.update(id, dto);
    if (!user) throw new NotFoundException(userNotFound(id));
    return user;
  }
}
