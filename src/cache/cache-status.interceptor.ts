import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { CacheContext, type CacheOutcome } from './cache-context.js';
import { cacheStatus } from './cache-status.js';

interface HeaderWritable {
  header(name: string, value: string): unknown;
}

/**
 * Gives each HTTP request a record of its cache outcomes (the cache writes to it through
 * AsyncLocalStorage) and turns them into a `Cache-Status` header; controllers pass nothing along.
 *
 * For apps on other adapters than Fastify: on Fastify, `CacheModule` writes the header with route
 * hooks (`CacheStatusHooks`), which cost a fraction of Nest's interceptor pipeline.
 */
@Injectable()
export class CacheStatusInterceptor implements NestInterceptor {
  constructor(private readonly context: CacheContext) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (execution.getType() !== 'http') return next.handle();
    const reply = execution.switchToHttp().getResponse<HeaderWritable>();
    const outcomes: CacheOutcome[] = [];
    const writeHeader = () => {
      const value = cacheStatus(outcomes);
      if (value !== undefined) reply.header('Cache-Status', value);
    };
    return new Observable((subscriber) =>
      this.context.runWith(outcomes, () =>
        next
          .handle()
          .pipe(tap({ next: writeHeader, error: writeHeader }))
          .subscribe(subscriber),
      ),
    );
  }
}
