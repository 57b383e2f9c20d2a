import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { IsJsonValue, MAX_JSON_VALUE_BYTES } from '../../common/validation/json-value.js';
import type { JsonValue } from '../../database/index.js';
import { idMessage } from '../users.messages.js';
import { USER_ID_PATTERN } from '../users.constants.js';

export class CreateSessionDto {
  @ApiProperty({ pattern: USER_ID_PATTERN.source, example: 'usr_000001' })
  @IsString()
  @Matches(USER_ID_PATTERN, { message: idMessage('userId', 'user', 'usr') })
  userId!: string;

  @ApiPropertyOptional({
    description: `Any JSON value of at most ${MAX_JSON_VALUE_BYTES} bytes; default {}`,
    example: { cart: ['vid_000042'] },
  })
  @IsOptional()
  @IsJsonValue()
  data?: JsonValue;
}
