import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { ANY_JSON_SCHEMA } from '../../common/validation/any-json.schema.js';
import { entityIdPattern, IsEntityId } from '../../common/validation/index.js';
import { IsJsonValue, MAX_JSON_VALUE_BYTES } from '../../common/validation/json-value.js';
import type { JsonValue } from '../../database/index.js';

export class CreateSessionDto {
  @ApiProperty({ pattern: entityIdPattern('usr').source, example: 'usr_000001' })
  @IsString()
  @IsEntityId('usr')
  userId!: string;

  @ApiPropertyOptional({
    ...ANY_JSON_SCHEMA,
    description: `Any JSON value of at most ${MAX_JSON_VALUE_BYTES} bytes; default {}`,
    example: { cart: ['vid_000042'] },
  })
  @IsOptional()
  @IsJsonValue()
  data?: JsonValue;
}
