import { BadRequestException } from '@nestjs/common';
import type { ValidationError } from 'class-validator';

/**
 * Which failed constraint speaks for a field, most telling first: an unknown field, then a missing
 * or mistyped value ("must be a string" says more than "must be shorter than 320 characters" for
 * a field that is absent), then the rest in their declared order.
 */
const PRIORITY = [
  'whitelistValidation',
  'isDefined',
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
  'isArray',
  'isObject',
  'isIn',
  'isEnum',
];
const rank = (constraint: string) => {
  const index = PRIORITY.indexOf(constraint);
  return index === -1 ? PRIORITY.length : index;
};

/** One message per invalid field (nested fields by path: `keys.0.key`), in the order of the fields. */
export function validationMessages(errors: readonly ValidationError[], parent = ''): string[] {
  const messages: string[] = [];
  for (const error of errors) {
    const path = parent === '' ? error.property : `${parent}.${error.property}`;
    const constraints = Object.entries(error.constraints ?? {});
    if (constraints.length > 0) {
      const [, message] = constraints.reduce((best, entry) =>
        rank(entry[0]) < rank(best[0]) ? entry : best,
      );
      // class-validator names the field by its own name; a nested one gets its parents' path.
      messages.push(parent === '' ? message : `${parent}.${message}`);
    } else if (error.children?.length) {
      messages.push(...validationMessages(error.children, path));
    }
  }
  return messages;
}

/** The ValidationPipe's `exceptionFactory`: a 400 with one message per invalid field. */
export const validationException = (errors: ValidationError[]) =>
  new BadRequestException(validationMessages(errors));
