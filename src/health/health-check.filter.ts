import {
  Catch,
  Logger,
  ServiceUnavailableException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { HealthCheckResult } from '@nestjs/terminus';
import { HEALTH_KEY } from './health.constants.js';
import { notReady } from './health.messages.js';

interface ReplyLike {
  status(code: number): ReplyLike;
  send(body: unknown): unknown;
}

/**
 * Checks whose failure is the replica's own expected state, not a fault: waiting for the first
 * warm-up at start-up, and draining at shutdown. Probes poll every few seconds meanwhile.
 */
const EXPECTED_WHILE_STARTING_OR_STOPPING = new Set<string>([HEALTH_KEY.warmup, HEALTH_KEY.lifecycle]);

/**
 * A failed health check is a 503 whose body is the `@nestjs/terminus` result (`status`, `info`,
 * `error`, `details`), as probes and operators expect, not the application's generic error body.
 *
 * It is also where a failure is logged (Terminus' own logger is off): as an error when a
 * dependency is down, at debug level when the only reasons are the warm-up still running or
 * the shutdown drain, so a normal start or stop writes no ERROR line.
 */
@Catch(ServiceUnavailableException)
export class HealthCheckFilter implements ExceptionFilter {
  private readonly logger = new Logger('Health');

  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    const result = exception.getResponse() as Partial<HealthCheckResult>;
    const failures = result.error ?? {};
    const expected = Object.keys(failures).every((key) => EXPECTED_WHILE_STARTING_OR_STOPPING.has(key));
    if (expected) this.logger.debug(notReady(failures));
    else this.logger.error(notReady(failures));
    host.switchToHttp().getResponse<ReplyLike>().status(exception.getStatus()).send(result);
  }
}
