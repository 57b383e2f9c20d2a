import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { CATEGORY_MAX_LENGTH } from '../../database/index.js';
import { IsEntityId, IsStorableText } from '../../common/validation/index.js';
import {
  DESCRIPTION_MAX_LENGTH,
  DURATION_MAX_SEC,
  FORMAT_MAX_LENGTH,
  TITLE_MAX_LENGTH,
} from '../videos.constants.js';
import { IfPresent } from './if-present.decorator.js';
import { TextLength } from './text-length.decorator.js';

/** `POST /videos`. Text fields are stored exactly as sent (no trimming, no normalization). */
export class CreateVideoDto {
  @ApiProperty({ example: 'usr_000001', description: 'The owner; must exist (404 otherwise)' })
  @IsEntityId('usr')
  userId!: string;

  @ApiProperty({ minLength: 1, maxLength: TITLE_MAX_LENGTH, example: 'Kyoto in the rain, generated' })
  @IsStorableText()
  @TextLength(1, TITLE_MAX_LENGTH)
  title!: string;

  @ApiProperty({
    minLength: 1,
    maxLength: CATEGORY_MAX_LENGTH,
    example: 'travel',
    description: 'Free text; matched exactly (a category named `*` is just that)',
  })
  @IsStorableText()
  @TextLength(1, CATEGORY_MAX_LENGTH)
  category!: string;

  @ApiPropertyOptional({ maxLength: DESCRIPTION_MAX_LENGTH, description: 'Empty when left out' })
  @IfPresent()
  @IsStorableText()
  @TextLength(0, DESCRIPTION_MAX_LENGTH)
  description?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: DURATION_MAX_SEC, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(DURATION_MAX_SEC)
  durationSec?: number | null;

  @ApiPropertyOptional({
    type: 'string',
    minLength: 1,
    maxLength: FORMAT_MAX_LENGTH,
    nullable: true,
    example: 'mp4',
  })
  @IsOptional()
  @IsStorableText()
  @TextLength(1, FORMAT_MAX_LENGTH)
  format?: string | null;
}
