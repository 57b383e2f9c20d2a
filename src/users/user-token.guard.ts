import {
  createParamDecorator,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { bearerToken } from '../common/auth/bearer-token.js';
import { invalidUserToken, userTokenRequired } from './users.messages.js';
import { UsersService } from './users.service.js';

const REALM = 'vidcache-user';
/** Where the guard leaves the id of the token's owner for {@link TokenOwner}. */
const TOKEN_OWNER = Symbol('tokenOwner');

interface TokenRequest {
  headers: Record<string, string | string[] | undefined>;
  [TOKEN_OWNER]?: string;
}
interface HeaderWritable {
  header(name: string, value: string): unknown;
}

/**
 * Lets a request through only with `Authorization: Bearer <user token>` of an existing user (401,
 * with `WWW-Authenticate: Bearer`, otherwise). Which user the request may act for is the handler's
 * decision: it compares {@link TokenOwner} with the user it names (403 when they differ). Runs
 * before validation, so an anonymous caller learns nothing about the body it sent.
 */
@Injectable()
export class UserTokenGuard implements CanActivate {
  constructor(private readonly users: UsersService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<TokenRequest>();
    const token = bearerToken(request.headers.authorization);
    const owner = token === undefined ? null : await this.users.ownerOfToken(token);
    if (owner !== null) {
      request[TOKEN_OWNER] = owner;
      return true;
    }
    http
      .getResponse<HeaderWritable>()
      .header(
        'WWW-Authenticate',
        token === undefined ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"`,
      );
    throw new UnauthorizedException(token === undefined ? userTokenRequired() : invalidUserToken());
  }
}

/** The id of the user whose token {@link UserTokenGuard} accepted. */
export const TokenOwner = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const owner = context.switchToHttp().getRequest<TokenRequest>()[TOKEN_OWNER];
  if (owner === undefined) throw new Error('TokenOwner used on a route without UserTokenGuard');
  return owner;
});
