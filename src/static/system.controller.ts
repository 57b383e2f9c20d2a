import { Controller, Get, Header, NotFoundException, Param } from '@nestjs/common';
import { ApiHeader, ApiNotModifiedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { ApiPathParam } from '../common/validation/index.js';
import { SystemStatusResponse } from './dto/static.response.js';
import { HttpCached } from './http-cache.interceptor.js';
import { PathPatternPipe } from './path-pattern.pipe.js';
import { API_VERSION_PATTERN, CACHE_CONTROL_PUBLIC } from './static.constants.js';
import { apiDocsUnavailable, apiVersionNotFound, invalidApiVersion } from './static.messages.js';
import { SystemService, type OpenApiDocument, type SystemStatus } from './system.service.js';

@ApiTags('system')
@Controller()
export class SystemController {
  constructor(private readonly system: SystemService) {}

  /** Where to start: the API's documentation. A newcomer's first request lands here. */
  @Get()
  @ApiOperation({ summary: 'Where to start: links to the documentation' })
  @Header('Link', '</docs>; rel="service-doc", </docs/json>; rel="service-desc"')
  @ApiOkResponse({
    description: 'Links to the documentation',
    schema: {
      type: 'object',
      properties: { service: { type: 'string' }, docs: { type: 'string' }, openapi: { type: 'string' } },
      example: { service: 'vidcache', docs: '/docs', openapi: '/docs/json' },
    },
  })
  root(): { service: string; docs: string; openapi: string } {
    return { service: 'vidcache', docs: '/docs', openapi: '/docs/json' };
  }

  /** The OpenAPI document of an API version (this release serves `v1`). */
  @Get('api-docs/:version')
  @ApiOperation({ summary: 'The OpenAPI document of an API version, with HTTP caching' })
  @ApiPathParam({
    name: 'version',
    pattern: API_VERSION_PATTERN,
    example: 'v1',
    description: 'An API version',
  })
  @HttpCached(CACHE_CONTROL_PUBLIC)
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'An ETag from an earlier answer: 304 if unchanged',
  })
  @ApiOkResponse({
    description: 'An OpenAPI 3 document',
    schema: { type: 'object', additionalProperties: true },
  })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched: no body' })
  @ApiErrors(
    { status: 400, message: invalidApiVersion('version') },
    { status: 404, description: 'A version this release does not serve', message: apiVersionNotFound('v9') },
    { status: 503, description: 'The OpenAPI document could not be built', message: apiDocsUnavailable(500) },
  )
  async apiDocs(
    @Param('version', new PathPatternPipe(API_VERSION_PATTERN, invalidApiVersion('version'))) version: string,
  ): Promise<OpenApiDocument> {
    const document = await this.system.apiDocs(version);
    if (!document) throw new NotFoundException(apiVersionNotFound(version));
    return document;
  }

  /** This replica's version, uptime, database and cache state; cached for 5 seconds. */
  @Get('status')
  @ApiOperation({ summary: 'This replica’s version, uptime, database and cache state' })
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: SystemStatusResponse })
  status(): Promise<SystemStatus> {
    return this.system.status();
  }
}
