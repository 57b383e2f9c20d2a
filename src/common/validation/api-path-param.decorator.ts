import { ApiParam } from '@nestjs/swagger';
import type { IdPrefix } from '../../database/index.js';
import { entityIdPattern, ID_NAMES } from './id.pipe.js';

export interface ApiPathParamOptions {
  name: string;
  /** The pattern the route's pipe enforces: the document shows the same one. */
  pattern: RegExp;
  example: string;
  description: string;
}

/** Documents a path parameter with the pattern its pipe checks and an example that passes it. */
export const ApiPathParam = ({ name, pattern, example, description }: ApiPathParamOptions) =>
  ApiParam({ name, description, schema: { type: 'string', pattern: pattern.source, example } });

/**
 * Documents an id path parameter, checked by `ParseIdPipe` with the same prefix.
 *
 * @example
 * \@Get(':id') \@ApiIdParam('vid') find(\@Param('id', new ParseIdPipe('vid')) id: string) { … }
 */
export const ApiIdParam = (prefix: IdPrefix, name = 'id') =>
  ApiPathParam({
    name,
    pattern: entityIdPattern(prefix),
    example: `${prefix}_000001`,
    description: `A ${ID_NAMES[prefix]} id`,
  });
