import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import type { IdPrefix } from '../../database/index.js';

const NAMES: Record<IdPrefix, string> = { usr: 'user', vid: 'video', ses: 'session', tpl: 'template' };

/**
 * Validates an id from the path before it reaches the cache or the database: `<prefix>_` then 1-64
 * of `[0-9A-Za-z-]`. Malformed ids are a 400 naming the parameter; well-formed unknown ids are the
 * service's 404. Pattern characters (`*`, `?`, `[`, `:`, `\`) can never get through.
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
    this.pattern = new RegExp(`^${prefix}_[0-9A-Za-z-]{1,64}$`);
  }

  transform(value: unknown): string {
    if (typeof value === 'string' && this.pattern.test(value)) return value;
    throw new BadRequestException(
      `${this.parameter} must be a ${NAMES[this.prefix]} id (${this.prefix}_ followed by 1-64 letters, digits or dashes)`,
    );
  }
}
