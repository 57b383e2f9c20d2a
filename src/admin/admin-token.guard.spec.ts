import { jest } from '@jest/globals';
import { Logger, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { AdminTokenGuard } from './admin-token.guard.js';
import { adminTokenUnset } from './admin.messages.js';
import { AdminModule } from './admin.module.js';

const TOKEN = 'a-long-enough-admin-token';

function context(authorization?: string | string[]) {
  const headers: Record<string, string> = {};
  const reply = { header: (name: string, value: string) => (headers[name] = value) };
  const execution = {
    switchToHttp: () => ({
      getRequest: () => ({ headers: authorization === undefined ? {} : { authorization } }),
      getResponse: () => reply,
    }),
  } as unknown as ExecutionContext;
  return { execution, headers };
}

function refusal(guard: AdminTokenGuard, authorization?: string | string[]) {
  const { execution, headers } = context(authorization);
  let error: unknown;
  try {
    guard.canActivate(execution);
  } catch (e) {
    error = e;
  }
  return { error, wwwAuthenticate: headers['WWW-Authenticate'] };
}

describe('AdminTokenGuard', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('lets the right bearer token through', () => {
    const guard = new AdminTokenGuard({ adminToken: TOKEN });
    expect(guard.canActivate(context(`Bearer ${TOKEN}`).execution)).toBe(true);
    expect(guard.canActivate(context(`bearer   ${TOKEN}`).execution)).toBe(true);
  });

  it.each([
    ['no header', undefined, 'Bearer realm="vidcache-admin"'],
    ['a wrong token', `Bearer ${TOKEN}!`, 'Bearer realm="vidcache-admin", error="invalid_token"'],
    [
      'a much longer token',
      `Bearer ${TOKEN.repeat(50)}`,
      'Bearer realm="vidcache-admin", error="invalid_token"',
    ],
    ['a one-character token', 'Bearer x', 'Bearer realm="vidcache-admin", error="invalid_token"'],
    ['the token without a scheme', TOKEN, 'Bearer realm="vidcache-admin"'],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`, 'Bearer realm="vidcache-admin"'],
    ['a repeated header', [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`], 'Bearer realm="vidcache-admin"'],
  ])('refuses %s with 401 and a WWW-Authenticate challenge', (_label, header, challenge) => {
    const { error, wwwAuthenticate } = refusal(new AdminTokenGuard({ adminToken: TOKEN }), header);
    expect(error).toBeInstanceOf(UnauthorizedException);
    expect(wwwAuthenticate).toBe(challenge);
  });

  it('refuses everyone when ADMIN_TOKEN is unset, leaving the warning to AdminModule', () => {
    const guard = new AdminTokenGuard({ adminToken: undefined });
    expect(Logger.prototype.warn).not.toHaveBeenCalled();
    for (const header of [undefined, 'Bearer ', 'Bearer undefined', `Bearer ${TOKEN}`]) {
      expect(refusal(guard, header).error).toBeInstanceOf(UnauthorizedException);
    }
  });
});

describe('AdminModule', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('warns at start-up that ADMIN_TOKEN is unset', () => {
    new AdminModule({ adminToken: undefined }).onApplicationBootstrap();
    expect(Logger.prototype.warn).toHaveBeenCalledWith(adminTokenUnset());
  });

  it('says nothing when ADMIN_TOKEN is set', () => {
    new AdminModule({ adminToken: TOKEN }).onApplicationBootstrap();
    expect(Logger.prototype.warn).not.toHaveBeenCalled();
  });
});
