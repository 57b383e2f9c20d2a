import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import {
  DEFAULT_PAGE_SIZE,
  IsStorableText,
  MAX_PAGE_SIZE,
  PaginationQuery,
} from '../../common/validation/index.js';
import { CATEGORY_MAX_LENGTH } from '../../database/index.js';
import { SEARCH_QUERY_MAX_LENGTH } from '../videos.constants.js';
import { TextLength } from './text-length.decorator.js';

/** `GET /videos/popular`. */
export class PopularQuery {
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: CATEGORY_MAX_LENGTH,
    description: 'Only this category (matched exactly); all categories when absent',
  })
  @IsOptional()
  @IsStorableText()
  @TextLength(1, CATEGORY_MAX_LENGTH)
  category?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = DEFAULT_PAGE_SIZE;
}

/** `GET /videos/search`. */
export class SearchQuery extends PaginationQuery {
  @ApiProperty({
    minLength: 1,
    maxLength: SEARCH_QUERY_MAX_LENGTH,
    description:
      'Plain text found in titles or descriptions, case-insensitively. Normalized (NFC, lower-cased, ' +
      'trimmed, whitespace collapsed) before the search and its cache key; `*`, `?`, `%`, `_` … are literal.',
  })
  @IsStorableText()
  @TextLength(1, SEARCH_QUERY_MAX_LENGTH)
  @Matches(/\S/, { message: 'q must contain a character other than whitespace' })
  q!: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: CATEGORY_MAX_LENGTH, description: 'Only this category' })
  @IsOptional()
  @IsStorableText()
  @TextLength(1, CATEGORY_MAX_LENGTH)
  category?: string;
}
