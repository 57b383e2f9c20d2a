import {
  Body,
  Controller,
  Get,
  HttpStatus,
  NotFoundException,
  Param,
  Put,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminTokenGuard } from '../admin/admin-token.guard.js';
import { SECURITY_SCHEME } from '../common/auth/bearer-token.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { setLocation } from '../common/http/location.js';
import { ParseIdPipe } from '../common/validation/index.js';
import { PutConfigDto } from './dto/put-config.dto.js';
import { ConfigEntryResponse, TemplateResponse } from './dto/static.response.js';
import { HttpCached } from './http-cache.interceptor.js';
import { PathPatternPipe } from './path-pattern.pipe.js';
import { CACHE_CONTROL_PUBLIC, CACHE_CONTROL_REVALIDATE, CONFIG_KEY_PATTERN } from './static.constants.js';
import { configNotFound, invalidConfigKey, templateNotFound } from './static.messages.js';
import type { ConfigEntry, Template } from './static.repository.js';
import { StaticService } from './static.service.js';

interface StatusWritable {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

const IfNoneMatch = () =>
  ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'An ETag from an earlier answer: 304 if unchanged',
  });
const configKeyPipe = new PathPatternPipe(CONFIG_KEY_PATTERN, invalidConfigKey('key'));

@ApiTags('static')
@ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid input; the message names the field' })
@Controller()
export class StaticController {
  constructor(private readonly statics: StaticService) {}

  @Get('templates/:id')
  @HttpCached(CACHE_CONTROL_PUBLIC)
  @IfNoneMatch()
  @ApiOkResponse({
    type: TemplateResponse,
    description: 'With a strong ETag; `Cache-Control: public, max-age=300`',
  })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched: no body' })
  @ApiNotFoundResponse({ type: ErrorResponse })
  async template(@Param('id', new ParseIdPipe('tpl')) id: string): Promise<Template> {
    const template = await this.statics.template(id);
    if (!template) throw new NotFoundException(templateNotFound(id));
    return template;
  }

  @Get('config/:key')
  @HttpCached(CACHE_CONTROL_REVALIDATE)
  @IfNoneMatch()
  @ApiOkResponse({ type: ConfigEntryResponse, description: 'With a strong ETag; `Cache-Control: no-cache`' })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched: no body' })
  @ApiNotFoundResponse({ type: ErrorResponse })
  async config(@Param('key', configKeyPipe) key: string): Promise<ConfigEntry> {
    const entry = await this.statics.config(key);
    if (!entry) throw new NotFoundException(configNotFound(key));
    return entry;
  }

  /** Creates (201) or replaces (200) a configuration entry; admin only. */
  @Put('config/:key')
  @UseGuards(AdminTokenGuard)
  @ApiBearerAuth(SECURITY_SCHEME.admin)
  @ApiCreatedResponse({ type: ConfigEntryResponse, description: 'Created' })
  @ApiOkResponse({ type: ConfigEntryResponse, description: 'Replaced' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or wrong admin token' })
  @ApiPayloadTooLargeResponse({ type: ErrorResponse })
  async putConfig(
    @Param('key', configKeyPipe) key: string,
    @Body() dto: PutConfigDto,
    @Res({ passthrough: true }) reply: StatusWritable,
  ): Promise<ConfigEntry> {
    const { entry, created } = await this.statics.setConfig(key, dto.value);
    reply.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    if (created) setLocation(reply, 'config', key);
    return entry;
  }
}
