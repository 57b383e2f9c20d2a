import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { Matches, type ValidationOptions } from 'class-validator';
import type { IdPrefix } from '../../database/index.js';

/** What each id prefix names, for messages and the OpenAPI document. */
export const ID_NAMES: Readonly<Record<IdPrefix, string>> = {
  usr: 'user',
  vid: 'video',
  ses: 'session',
  tpl: 'template',
};

/** The shape of every server-chosen id: `<prefix>_` then 1-64 of `[0-9A-Za-z-]`. */
export const entityIdPattern = (prefix: IdPrefix) => new RegExp(`^${prefix}_[0-9A-Za-z-]{1,64}$`);

const mustBeId = (field: string, prefix: IdPrefix) =>
  `${field} must be a ${ID_NAMES[prefix]} id (${prefix}_ followed by 1-64 letters, digits or dashes)`;

/**
 * Validates an id from the path before it reaches the cache or the database. Malformed ids are a
 * 400 naming the parameter; well-formed unknown ids are the service's 404. Pattern characters
 * (`*`, `?`, `[`, `:`, `\`) can never get through.
 *
 * @example
 * @Get(':id') find(@Param('id', new ParseIdPipe('vid')) id: string) { … }
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, string> {
  private readonly pattern: RegExp;

  constructor(
    private readonly prefix: IdPrefix,
    private readonly parameter = 'id',
  ) {
    this.pattern = entityIdPattern(prefix);
  }

  /** Whether {@link transform} takes the value as it is (rather than answering 400). */
  accepts(value: unknown): value is string {
    return typeof value === 'string' && this.pattern.test(value);
  }

  transform(value: unknown): string {
    if (this.accepts(value)) return value;
    throw new BadRequestException(mustBeId(this.parameter, this.prefix));
  }
}

/** The same check for an id in a body field, so a malformed id is a 400 naming the field. */
export const IsEntityId = (prefix: IdPrefix, options?: ValidationOptions) =>
  Matches(entityIdPattern(prefix), { message: ({ property }) => mustBeId(property, prefix), ...options });
