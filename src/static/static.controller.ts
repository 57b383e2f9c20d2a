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
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminTokenGuard } from '../admin/admin-token.guard.js';
import { SECURITY_SCHEME } from '../common/auth/bearer-token.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { setLocation } from '../common/http/location.js';
import { ApiIdParam, ApiPathParam, ParseIdPipe } from '../common/validation/index.js';
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
const ConfigKeyParam = () =>
  ApiPathParam({
    name: 'key',
    pattern: CONFIG_KEY_PATTERN,
    example: 'recommendations.weights',
    description: 'A configuration key',
  });
const configKeyPipe = new PathPatternPipe(CONFIG_KEY_PATTERN, invalidConfigKey('key'));

@ApiTags('static')
@ApiErrors(400)
@Controller()
export class StaticController {
  constructor(private readonly statics: StaticService) {}

  @Get('templates/:id')
  @ApiOperation({ summary: 'A template, with HTTP caching' })
  @ApiIdParam('tpl')
  @HttpCached(CACHE_CONTROL_PUBLIC)
  @IfNoneMatch()
  @ApiOkResponse({
    type: TemplateResponse,
    description: 'With a strong ETag; `Cache-Control: public, max-age=300`',
  })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched: no body' })
  @ApiErrors({ status: 404, message: templateNotFound('tpl_000042') })
  async template(@Param('id', new ParseIdPipe('tpl')) id: string): Promise<Template> {
    const template = await this.statics.template(id);
    if (!template) throw new NotFoundException(templateNotFound(id));
    return template;
  }

  @Get('config/:key')
  @ApiOperation({ summary: 'A configuration entry, with HTTP caching' })
  @ConfigKeyParam()
  @HttpCached(CACHE_CONTROL_REVALIDATE)
  @IfNoneMatch()
  @ApiOkResponse({ type: ConfigEntryResponse, description: 'With a strong ETag; `Cache-Control: no-cache`' })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched: no body' })
  @ApiErrors({ status: 404, message: configNotFound('recommendations.weights') })
  async config(@Param('key', configKeyPipe) key: string): Promise<ConfigEntry> {
    const entry = await this.statics.config(key);
    if (!entry) throw new NotFoundException(configNotFound(key));
    return entry;
  }

  /** Creates (201) or replaces (200) a configuration entry; admin only. */
  @Put('config/:key')
  @ApiOperation({ summary: 'Create or replace a configuration entry (admin)' })
  @ConfigKeyParam()
  @UseGuards(AdminTokenGuard)
  @ApiBearerAuth(SECURITY_SCHEME.admin)
  @ApiCreatedResponse({ type: ConfigEntryResponse, description: 'Created' })
  @ApiOkResponse({ type: ConfigEntryResponse, description: 'Replaced' })
  @ApiErrors({ status: 401, description: 'Missing or wrong admin token' }, 413, 415)
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
