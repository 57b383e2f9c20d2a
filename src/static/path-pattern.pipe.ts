import { BadRequestException, type PipeTransform } from '@nestjs/common';

/**
 * Validates a path parameter against a pattern before it reaches the cache or the database; a
 * mismatch is a 400 with the given message (which names the parameter).
 *
 * @example
 * \@Get(':key') find(\@Param('key', new PathPatternPipe(CONFIG_KEY_PATTERN, 'key must be …')) key: string)
 */
export class PathPatternPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly pattern: RegExp,
    private readonly message: string,
  ) {}

  transform(value: unknown): string {
    if (typeof value === 'string' && this.pattern.test(value)) return value;
    throw new BadRequestException(this.message);
  }
}
