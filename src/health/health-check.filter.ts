import { Catch, ServiceUnavailableException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';

interface ReplyLike {
  status(code: number): ReplyLike;
  send(body: unknown): unknown;
}

/**
 * A failed health check is a 503 whose body is the `@nestjs/terminus` result (`status`, `info`,
 * `error`, `details`), as probes and operators expect, not the application's generic error body.
 */
@Catch(ServiceUnavailableException)
export class HealthCheckFilter implements ExceptionFilter {
  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<ReplyLike>().status(exception.getStatus()).send(exception.getResponse());
  }
}
