import { createTestApp, type TestApp } from './fixtures/app.js';

// SEED_ON_START left unset (an empty variable counts as unset), as in the manifests and
// docker-compose.yml: the embedded database is seeded for a first try, a server never by default.
describe.each([
  ['pglite', 200],
  ['postgres', 404],
] as const)('SEED_ON_START unset on %s', (database, status) => {
  let t: TestApp | undefined;

  beforeAll(async () => {
    t = await createTestApp({ database, env: { SEED_ON_START: '' } });
  });
  afterAll(() => t?.close());

  it(`${database === 'pglite' ? 'seeds' : 'does not seed'} the empty database`, async () => {
    const res = await t!.app.inject({ method: 'GET', url: '/users/usr_000001' });
    expect(res.statusCode).toBe(status);
  });
});

describe('SEED_ON_START=true on postgres', () => {
  let t: TestApp | undefined;

  beforeAll(async () => {
    t = await createTestApp({ database: 'postgres', env: { SEED_ON_START: 'true' } });
  });
  afterAll(() => t?.close());

  it('seeds the empty server database when asked', async () => {
    const res = await t!.app.inject({ method: 'GET', url: '/users/usr_000001' });
    expect(res.statusCode).toBe(200);
  });
});
