import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { CATEGORY_MAX_LENGTH } from '../../database/index.js';
import { IsStorableText } from '../../common/validation/index.js';
import {
  DESCRIPTION_MAX_LENGTH,
  DURATION_MAX_SEC,
  FORMAT_MAX_LENGTH,
  TITLE_MAX_LENGTH,
} from '../videos.constants.js';
import { IfPresent } from './if-present.decorator.js';
import { TextLength } from './text-length.decorator.js';

/**
 * `PATCH /videos/:id`: any of the metadata fields; absent fields are left as they are. `null`
 * clears `durationSec` and `format`, and is rejected for the text fields that cannot be empty.
 */
export class UpdateVideoDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: TITLE_MAX_LENGTH })
  @IfPresent()
  @IsStorableText()
  @TextLength(1, TITLE_MAX_LENGTH)
  title?: string;

  @ApiPropertyOptional({ maxLength: DESCRIPTION_MAX_LENGTH })
  @IfPresent()
  @IsStorableText()
  @TextLength(0, DESCRIPTION_MAX_LENGTH)
  description?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: CATEGORY_MAX_LENGTH })
  @IfPresent()
  @IsStorableText()
  @TextLength(1, CATEGORY_MAX_LENGTH)
  category?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: DURATION_MAX_SEC, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(DURATION_MAX_SEC)
  durationSec?: number | null;

  @ApiPropertyOptional({ minLength: 1, maxLength: FORMAT_MAX_LENGTH, nullable: true })
  @IsOptional()
  @IsStorableText()
  @TextLength(1, FORMAT_MAX_LENGTH)
  format?: string | null;
}
