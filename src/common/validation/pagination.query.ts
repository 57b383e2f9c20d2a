import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

/** Contract limits: `page` starts at 1; `perPage` and `limit` default to 20 and are at most 100. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Deep pages cost the database an OFFSET scan; beyond this there is nothing a client needs. */
export const MAX_PAGE = 10_000;

export class PaginationQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, default: 1 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  perPage: number = DEFAULT_PAGE_SIZE;
}

/** A page of a list: its items, the page asked for, and the total. */
export interface Page<T> {
  items: T[];
  page: number;
  perPage: number;
  total: number;
}
