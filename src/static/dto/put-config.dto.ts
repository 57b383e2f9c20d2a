import { ApiProperty } from '@nestjs/swagger';
import { ANY_JSON_SCHEMA } from '../../common/validation/any-json.schema.js';
import { IsJsonValue, MAX_JSON_VALUE_BYTES } from '../../common/validation/json-value.js';
import type { JsonValue } from '../../database/index.js';

export class PutConfigDto {
  @ApiProperty({
    ...ANY_JSON_SCHEMA,
    description: `Any JSON value (null included) of at most ${MAX_JSON_VALUE_BYTES} bytes, stored exactly`,
    example: { maxUploadMb: 512 },
  })
  @IsJsonValue()
  value!: JsonValue;
}
