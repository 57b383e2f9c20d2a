import {
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../common/auth/bearer-token.js';
import { appConfig, type AppConfig } from '../config/app.config.js';

const REALM = 'vidcache-admin';

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

interface AdminRequest {
  headers: Record<string, string | string[] | undefined>;
}
interface HeaderWritable {
  header(name: string, value: string): unknown;
}

/**
 * Lets a request through only with `Authorization: Bearer <ADMIN_TOKEN>`. Tokens are compared as
 * SHA-256 digests with `timingSafeEqual` (equal lengths whatever was sent), so the time taken says
 * nothing about the token. With ADMIN_TOKEN unset every request is refused: the admin API is never
 * open by default (AdminModule says so once at start-up). Refusals are 401 with `WWW-Authenticate: Bearer` (RFC 6750).
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(@Inject(appConfig.KEY) app: Pick<AppConfig, 'adminToken'>) {
    this.expected = app.adminToken ? digest(app.adminToken) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const header = http.getRequest<AdminRequest>().headers.authorization;
    const token = bearerToken(header);
    if (token !== undefined && this.expected && timingSafeEqual(digest(token), this.expected)) return true;
    const reply = http.getResponse<HeaderWritable>();
    reply.header(
      'WWW-Authenticate',
      token === undefined ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"`,
    );
    throw new UnauthorizedException(
      token === undefined ? 'a bearer token is required' : 'invalid bearer token',
    );
  }
}
