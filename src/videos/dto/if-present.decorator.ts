import { ValidateIf } from 'class-validator';

/**
 * Validates an optional field whenever it is present, `null` included. (`@IsOptional` would let
 * `null` through unchecked, and a `null` title would then reach a NOT NULL column.)
 */
export const IfPresent = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
