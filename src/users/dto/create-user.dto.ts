import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { IsStorableText } from '../../common/validation/index.js';
import { IsJsonValue, MAX_JSON_VALUE_BYTES } from '../../common/validation/json-value.js';
import type { JsonObject } from '../../database/index.js';
import { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH } from '../users.constants.js';

export class CreateUserDto {
  @ApiProperty({ minLength: 1, maxLength: NAME_MAX_LENGTH, example: 'Ada Lovelace' })
  @IsString()
  @Length(1, NAME_MAX_LENGTH)
  @IsStorableText()
  name!: string;

  @ApiProperty({ format: 'email', maxLength: EMAIL_MAX_LENGTH, example: 'ada@example.com' })
  @IsString()
  @MaxLength(EMAIL_MAX_LENGTH)
  @IsEmail()
  @IsStorableText()
  email!: string;

  @ApiPropertyOptional({
    description: `Private settings: any JSON object of at most ${MAX_JSON_VALUE_BYTES} bytes. Never cached.`,
    type: 'object',
    additionalProperties: true,
    example: { theme: 'dark' },
  })
  @IsOptional()
  @IsJsonValue({ object: true })
  settings?: JsonObject;
}
