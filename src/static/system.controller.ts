import { Controller, Get, Header, NotFoundException, Param } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto.js';
import { SystemStatusResponse } from './dto/static.response.js';
import { HttpCached } from './http-cache.interceptor.js';
import { PathPatternPipe } from './path-pattern.pipe.js';
import { API_VERSION_PATTERN, CACHE_CONTROL_PUBLIC } from './static.constants.js';
import { apiVersionNotFound, invalidApiVersion } from './static.messages.js';
import { SystemService, type OpenApiDocument, type SystemStatus } from './system.service.js';

@ApiTags('system')
@Controller()
export class SystemController {
  constructor(private readonly system: SystemService) {}

  /** Where to start: the API's documentation. A newcomer's first request lands here. */
  @Get()
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
  @ApiBadRequestResponse({ type: ErrorResponse })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'A version this release does not serve' })
  @ApiServiceUnavailableResponse({
    type: ErrorResponse,
    description: 'The OpenAPI document could not be built',
  })
  async apiDocs(
    @Param('version', new PathPatternPipe(API_VERSION_PATTERN, invalidApiVersion('version'))) version: string,
  ): Promise<OpenApiDocument> {
    const document = await this.system.apiDocs(version);
    if (!document) throw new NotFoundException(apiVersionNotFound(version));
    return document;
  }

  /** This replica's version, uptime, database and cache state; cached for 5 seconds. */
  @Get('status')
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: SystemStatusResponse })
  status(): Promise<SystemStatus> {
    return this.system.status();
  }
}
