import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponse } from './error-response.dto.js';

const DESCRIPTIONS = {
  400: 'Invalid input: the message names the field',
  404: 'Unknown id (the message names it, and the field it came from)',
  413: 'Body larger than BODY_LIMIT',
} as const;

/**
 * Documents the error responses of a route, each with the {@link ErrorResponse} body.
 *
 * @example @ApiErrors(400, 404)
 */
export const ApiErrors = (...statuses: (keyof typeof DESCRIPTIONS)[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorResponse }),
    ),
  );
