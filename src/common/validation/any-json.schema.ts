import type { ApiPropertyOptions } from '@nestjs/swagger';

/**
 * A JSON value of any type, `null` included (the OpenAPI 3.0 way of saying "anything"). Without it,
 * a property typed `JsonValue` shows as `type: object`, which refuses the strings, numbers and lists
 * the API accepts.
 */
export const ANY_JSON_SCHEMA: ApiPropertyOptions = {
  nullable: true,
  oneOf: [
    { type: 'object', additionalProperties: true },
    { type: 'array', items: {} },
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
  ],
};
