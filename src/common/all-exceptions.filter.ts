import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';

interface ReplyLike {
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(body: unknown): unknown;
}

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

// SQLSTATE classes that only a client's input can cause: the request was wrong, not the service.
const CLIENT_SQLSTATES: Record<string, [number, string]> = {
  '22001': [HttpStatus.BAD_REQUEST, 'a value is longer than its field allows'],
  '22003': [HttpStatus.BAD_REQUEST, 'a number is out of range'],
  '22007': [HttpStatus.BAD_REQUEST, 'a date is invalid'],
  '22021': [HttpStatus.BAD_REQUEST, 'a text value contains a character that cannot be stored (NUL)'],
  '22P02': [HttpStatus.BAD_REQUEST, 'a value has an invalid format'],
  '23503': [HttpStatus.NOT_FOUND, 'a referenced resource does not exist'],
  '23505': [HttpStatus.CONFLICT, 'the resource already exists'],
  '54000': [HttpStatus.BAD_REQUEST, 'a value is too large'],
};

const reasonOf = (status: number) =>
  (HttpStatus[status] ?? 'Error')
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');

/** Maps any error to a status and a body; unknown errors are 500 and logged. */
export function describeError(error: unknown): ErrorBody & { log: boolean } {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const status = error.getStatus();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? (response as { message: string | string[] }).message
        : error.message;
    return { statusCode: status, error: reasonOf(status), message, log: status >= 500 && status !== 503 };
  }
  const e = error as { statusCode?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  // Fastify's own errors (body too large, malformed JSON, unsupported media type) carry a 4xx status.
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return {
      statusCode: e.statusCode,
      error: reasonOf(e.statusCode),
      message: String(e.message),
      log: false,
    };
  }
  // Drizzle wraps driver errors; the SQLSTATE may sit on the error or on its cause.
  for (const candidate of [e, e?.cause as typeof e]) {
    const mapped = typeof candidate?.code === 'string' ? CLIENT_SQLSTATES[candidate.code] : undefined;
    if (mapped) return { statusCode: mapped[0], error: reasonOf(mapped[0]), message: mapped[1], log: false };
  }
  return { statusCode: 500, error: 'Internal Server Error', message: 'internal error', log: true };
}

/**
 * The one place errors become responses: client mistakes are 4xx with a message naming the
 * problem, never 500; anything unexpected is a 500 without internals, and logged.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<ReplyLike>();
    const { log, ...body } = describeError(error);
    if (log) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    // A dependency that is down says when to come back (the cache's 503s carry it).
    const retryAfter = (error as { retryAfterSeconds?: unknown })?.retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('Retry-After', String(retryAfter));
    reply.status(body.statusCode).send(body);
  }
}
