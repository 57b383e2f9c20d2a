import { Body, Controller, Get, NotFoundException, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto.js';
import { ParseIdPipe } from '../common/validation/index.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { UserQuery } from './dto/user-query.dto.js';
import { PrivateUserResponse, UserResponse } from './dto/user.response.js';
import type { PrivateUser, PublicUser } from './users.repository.js';
import { userNotFound } from './users.messages.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid input; the message names the field' })
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiCreatedResponse({ type: PrivateUserResponse })
  @ApiPayloadTooLargeResponse({ type: ErrorResponse })
  create(@Body() dto: CreateUserDto): Promise<PrivateUser> {
    return this.users.create(dto);
  }

  /** The public profile, cached; `?include=private` adds email and settings, served uncached. */
  @Get(':id')
  @ApiExtraModels(UserResponse, PrivateUserResponse)
  @ApiOkResponse({
    description: 'The public profile, or the whole profile with `?include=private`',
    schema: { oneOf: [{ $ref: getSchemaPath(UserResponse) }, { $ref: getSchemaPath(PrivateUserResponse) }] },
  })
  @ApiNotFoundResponse({ type: ErrorResponse })
  async find(
    @Param('id', new ParseIdPipe('usr')) id: string,
    @Query() query: UserQuery,
  ): Promise<PublicUser | PrivateUser> {
    const user = await this.users.find(id, query.include === 'private');
    if (!user) throw new NotFoundException(userNotFound(id));
    return user;
  }

  /** Changes any of name, email, settings (settings are replaced); evicts the cached profile. */
  @Patch(':id')
  @ApiOkResponse({ type: PrivateUserResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiConflictResponse({ type: ErrorResponse })
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
