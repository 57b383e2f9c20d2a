import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponse } from './error-response.dto.js';

/** The error statuses the API answers, with the reason phrase its error bodies carry. */
const ERROR_NAMES = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  503: 'Service Unavailable',
} as const;

export type ErrorStatus = keyof typeof ERROR_NAMES;

/** What the document says of one error response of one route; the defaults fit most routes. */
export interface ApiErrorSpec {
  status: ErrorStatus;
  description?: string;
  /** The example's message: what this route answers with this status. */
  message?: string | string[];
}

const DEFAULTS: Record<ErrorStatus, { description: string; message: string | string[] }> = {
  400: {
    description: 'Invalid input: the message names the field',
    message: ['page must not be less than 1'],
  },
  401: {
    description: 'Missing or wrong bearer token',
    message: 'a bearer token is required',
  },
  403: { description: 'The token is valid but not for this', message: 'forbidden' },
  404: {
    description: 'Unknown id (the message names it, and the field it came from)',
    message: 'user usr_000042 not found',
  },
  409: { description: 'Conflicts with what is stored', message: 'conflict' },
  413: {
    description: 'Body larger than BODY_LIMIT (the message states the limit)',
    message: 'body is 2000000 bytes, over the limit of 1048576 bytes (BODY_LIMIT)',
  },
  415: {
    description: 'A body that is not `application/json`',
    message: 'body must be JSON, sent with content-type: application/json (got "text/plain")',
  },
  503: {
    description: 'A dependency is unavailable; `Retry-After` says when to try again',
    message: 'the database is unavailable (timeout); retry after 1 s',
  },
};

/**
 * Documents the error responses of a route (or of every route of a controller), each with the
 * {@link ErrorResponse} body and an example of that very status, so the document shows what a
 * client gets rather than the same 400 everywhere.
 *
 * @example
 * \@ApiErrors(400, { status: 404, description: 'Unknown or expired session', message: 'session ses_x not found' })
 */
export const ApiErrors = (...errors: (ErrorStatus | ApiErrorSpec)[]) =>
  applyDecorators(
    ...errors.map((error) => {
      const spec = typeof error === 'number' ? { status: error } : error;
      const { description, message } = { ...DEFAULTS[spec.status], ...spec };
      return ApiResponse({
        status: spec.status,
        description,
        type: ErrorResponse,
        example: { statusCode: spec.status, error: ERROR_NAMES[spec.status], message },
      });
    }),
  );
