import { applyDecorators } from '@nestjs/common';
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
  (typeof value === 'number' && Number.isFinite(value));

/**
 * A key as the service builds it: a list whose first part says what kind of entry it is
 * (`"video"`, `"profile"`, …) and whose other parts identify it. A bare string such as
 * `"vid_000002"` or `"video:vid_000002"` is refused rather than accepted and matched against
 * nothing: the cache encodes each part, so no string spells a list.
 */
const isKeyPartList = (value: unknown) =>
  Array.isArray(value) && value.length >= 2 && value.length <= MAX_PARTS && value.every(isKeyPart);

/** The example of the one accepted key shape, shown in every refusal. */
export const KEY_EXAMPLE = '["video","vid_000002"]';

const IsCacheKey = (options?: ValidationOptions) =>
  ValidateBy(
    { name: 'isCacheKey', validator: { validate: isKeyPartList } },
    {
      message: ({ value }) =>
        `$property must be a list of 2 to ${MAX_PARTS} key parts (strings or numbers) as the service builds the key, such as ${KEY_EXAMPLE}; ${JSON.stringify(value)?.slice(0, 80) ?? 'nothing'} names no entry`,
      ...options,
    },
  );

const IsKeyPattern = (options?: ValidationOptions) =>
  ValidateBy(
    { name: 'isKeyPattern', validator: { validate: isKeyPartList } },
    {
      message: `$property must be a list of 2 to ${MAX_PARTS} key parts (strings or numbers; a part that is exactly "*" matches anything), such as ["user-videos","usr_000001","*"]`,
      ...options,
    },
  );

/** The namespace a selector reaches into; it never reaches outside it. */
class NamespaceSelectorDto {
  @ApiProperty({ example: 'video' })
  @IsString()
  @IsNotEmpty()
  namespace!: string;
}

/** The OpenAPI schema of a list of key parts. */
const KeyParts = (description: string, example: (string | number)[]) =>
  ApiProperty({
    description,
    type: 'array',
    items: { oneOf: [{ type: 'string' }, { type: 'number' }] },
    minItems: 2,
    maxItems: MAX_PARTS,
    example,
  });

export class KeySelectorDto extends NamespaceSelectorDto {
  @KeyParts(
    'The key relative to its namespace, exactly as the service builds it: a list whose first part is the kind of entry (for the `video` namespace: `video`, `user-videos`, `popular`; `user`: `profile`, `queue`; `session`: `session`; `video-status`: `status`; `search`: `search`; `analytics`: `user`, `video`, `platform`, `trending`, `summary`; `static`: `template`, `config`, `api-docs`, `status`; `recommendations`: `user`) and whose other parts identify it. Any other shape is a 400.',
    ['video', 'vid_000042'],
  )
  @IsCacheKey()
  key!: (string | number)[];
}

export class PatternSelectorDto extends NamespaceSelectorDto {
  @KeyParts(
    'Key parts, the first one the kind of entry as for `key`; a part that is exactly "*" matches any sequence, every other part matches literally. Never reaches outside the namespace.',
    ['user-videos', 'usr_000001', '*'],
  )
  @IsKeyPattern()
  pattern!: (string | number)[];
}

/** An optional list of 1 to `max` selectors, each validated as a `selector`. */
const SelectorList = (selector: new () => object, max: number) =>
  applyDecorators(
    ApiPropertyOptional({ type: [selector] }),
    IsOptional(),
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(max),
    ValidateNested({ each: true }),
    Type(() => selector),
  );

/**
 * `POST /admin/cache/invalidate`: any of the four selectors, at least one. Everything selected is
 * removed from Redis and from every replica's L1 before the answer (a 2xx means done everywhere).
 *
 * @example
 * {
 *   "keys": [{ "namespace": "video", "key": ["video", "vid_000042"] }],
 *   "patterns": [{ "namespace": "video", "pattern": ["user-videos", "usr_000001", "*"] }],
 *   "tags": ["user:usr_000001"],
 *   "namespace": "search"
 * }
 */
export class InvalidateCacheDto {
  @SelectorList(KeySelectorDto, 1_000)
  keys?: KeySelectorDto[];

  @SelectorList(PatternSelectorDto, 100)
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
