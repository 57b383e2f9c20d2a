import {
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { createHash } from 'node:crypto';
import { map, type Observable } from 'rxjs';

interface ConditionalRequest {
  headers: Record<string, string | string[] | undefined>;
}
interface HeaderWritable {
  header(name: string, value: string): unknown;
  status(code: number): unknown;
}

/** A strong validator for a serialized body: the same bytes always give the same tag. */
export function strongEtag(payload: string): string {
  return `"${createHash('sha256').update(payload, 'utf8').digest('base64url').slice(0, 27)}"`;
}

/**
 * Whether an `If-None-Match` header matches `etag`: `*`, or a list containing it. Comparison is
 * weak, as RFC 9110 §13.1.2 requires for this header (a `W/` prefix is ignored).
 */
export function ifNoneMatchMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return value.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === opaque);
}

/**
 * HTTP caching for a JSON read: serializes the body once, tags it with a strong `ETag` (a hash of
 * exactly the bytes sent), sets `Cache-Control`, and answers `If-None-Match` with a `304` and no
 * body. Errors pass through untouched (they carry neither header).
 */
export class HttpCacheInterceptor implements NestInterceptor {
  constructor(private readonly cacheControl: string) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<ConditionalRequest>();
    const reply = http.getResponse<HeaderWritable>();
    return next.handle().pipe(
      map((body: unknown) => {
        const payload = JSON.stringify(body);
        const etag = strongEtag(payload);
        reply.header('ETag', etag);
        reply.header('Cache-Control', this.cacheControl);
        if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
          reply.status(304);
          return undefined;
        }
        reply.header('Content-Type', 'application/json; charset=utf-8');
        return payload;
      }),
    );
  }
}

/**
 * `ETag`, `Cache-Control` and `304` for a GET route that answers JSON.
 *
 * @example
 * \@Get(':id') \@HttpCached('public, max-age=300') template(…) { … }
 */
export const HttpCached = (cacheControl: string): MethodDecorator & ClassDecorator =>
  UseInterceptors(new HttpCacheInterceptor(cacheControl));
