import { ConsoleLogger } from '@nestjs/common';
import { LOG_LEVELS, type LogFormat, type LogLevelName } from '../../config/ops.config.js';
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
 * The application's logger: `level` and the levels more severe than it. Text is coloured only on
 * a terminal: a file, a pipe or a log collector gets no escape codes (nor does a terminal with
 * `NO_COLOR` set).
 *
 * @example NestFactory.create(AppModule, adapter, { logger: createAppLogger('json', 'log') })
 */
export function createAppLogger(format: LogFormat, level: LogLevelName = 'verbose'): AppLogger {
  const json = format === 'json';
  return new AppLogger({
    json,
    logLevels: LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1),
    colors: !json && process.stdout.isTTY === true && !process.env.NO_COLOR,
    // Fields passed as an object after the message become fields of the JSON line.
    flattenParams: true,
  });
}
