import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsOptional,
  IsString,
  IsNotEmpty,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';

const MAX_PARTS = 32;
const MAX_PART_LENGTH = 1_024;

const isKeyPart = (value: unknown) =>
  (typeof value === 'string' && value.length <= MAX_PART_LENGTH) ||
  (typeof value === 'number' && Number.isFinite(value)) ||
  typeof value === 'boolean';

const isKeyPartList = (value: unknown) =>
  Array.isArray(value) && value.length >= 1 && value.length <= MAX_PARTS && value.every(isKeyPart);

/** A cache key: one part, or a list of parts (strings, numbers, booleans), exactly as the code that caches it builds it. */
const IsCacheKey = (options?: ValidationOptions) =>
  ValidateBy(
    { name: 'isCacheKey', validator: { validate: (value) => isKeyPart(value) || isKeyPartList(value) } },
    {
      message: `$property must be a string, number or boolean, or a list of 1 to ${MAX_PARTS} of them`,
      ...options,
    },
  );

const IsKeyPattern = (options?: ValidationOptions) =>
  ValidateBy(
    { name: 'isKeyPattern', validator: { validate: isKeyPartList } },
    {
      message: `$property must be a list of 1 to ${MAX_PARTS} parts (strings, numbers, booleans; "*" matches anything)`,
      ...options,
    },
  );

export class KeySelectorDto {
  @ApiProperty({ example: 'video' })
  @IsString()
  @IsNotEmpty()
  namespace!: string;

  @ApiProperty({
    description: 'The key relative to its namespace, as the code builds it: a part or a list of parts',
    example: ['video', 'vid_000042'],
  })
  @IsCacheKey()
  key!: string | number | boolean | (string | number | boolean)[];
}

export class PatternSelectorDto {
  @ApiProperty({ example: 'user-videos' })
  @IsString()
  @IsNotEmpty()
  namespace!: string;

  @ApiProperty({
    description:
      'Key parts; a part that is exactly "*" matches any sequence, every other part matches literally. Never reaches outside the namespace.',
    example: ['user-videos', 'usr_000001', '*'],
  })
  @IsKeyPattern()
  pattern!: (string | number | boolean)[];
}

/**
 * `POST /admin/cache/invalidate`: any of the four selectors, at least one. Everything selected is
 * removed from Redis and from every replica's L1.
 *
 * @example
 * {
 *   "keys": [{ "namespace": "video", "key": ["video", "vid_000042"] }],
 *   "patterns": [{ "namespace": "user-videos", "pattern": ["user-videos", "usr_000001", "*"] }],
 *   "tags": ["user:usr_000001"],
 *   "namespace": "search"
 * }
 */
export class InvalidateCacheDto {
  @ApiPropertyOptional({ type: [KeySelectorDto] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1_000)
  @ValidateNested({ each: true })
  @Type(() => KeySelectorDto)
  keys?: KeySelectorDto[];

  @ApiPropertyOptional({ type: [PatternSelectorDto] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PatternSelectorDto)
  patterns?: PatternSelectorDto[];

  @ApiPropertyOptional({ type: [String], example: ['user:usr_000001'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1_000)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(MAX_PART_LENGTH, { each: true })
  tags?: string[];

  @ApiPropertyOptional({ description: 'Clears this whole namespace', example: 'search' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  namespace?: string;
}
