import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsJsonValue, MAX_JSON_VALUE_BYTES } from '../../common/validation/json-value.js';
import type { JsonValue } from '../../database/index.js';

/** A JSON value of any type (the OpenAPI 3.0 way of saying "anything"). */
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

export class PutConfigDto {
  @ApiProperty({
    ...ANY_JSON_SCHEMA,
    description: `Any JSON value (null included) of at most ${MAX_JSON_VALUE_BYTES} bytes, stored exactly`,
    example: { maxUploadMb: 512 },
  })
  @IsJsonValue()
  value!: JsonValue;
}
