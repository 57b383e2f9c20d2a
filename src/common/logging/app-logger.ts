import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { LogFormat } from '../../config/ops.config.js';
import { currentRequestId } from './request-context.js';

type JsonLogOptions = Parameters<ConsoleLogger['getJsonLogObject']>[1];

/**
 * Nest's ConsoleLogger (one JSON object per line with `LOG_FORMAT=json`, readable text with
 * `pretty`), adding the current request's id to every line written while a request is handled:
 * `"requestId"` in JSON, `[<id>]` after the context in text.
 */
export class AppLogger extends ConsoleLogger {
  protected override getJsonLogObject(message: unknown, options: JsonLogOptions) {
    const object = super.getJsonLogObject(message, options);
    const requestId = currentRequestId();
    return requestId === undefined ? object : { ...object, requestId };
  }

  protected override formatContext(context: string): string {
    const formatted = super.formatContext(context);
    const requestId = currentRequestId();
    return requestId === undefined ? formatted : `${formatted}[${requestId}] `;
  }
}

/**
 * The application's logger.
 *
 * @example NestFactory.create(AppModule, adapter, { logger: createAppLogger('json') })
 */
export function createAppLogger(format: LogFormat, logLevels?: LogLevel[]): AppLogger {
  return new AppLogger({ json: format === 'json', ...(logLevels ? { logLevels } : {}) });
}
