import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import type { Database } from './database.connection.js';
import { DRIZZLE } from './database.constants.js';
import { DatabaseModule } from './database.module.js';
import { DatabaseService } from './database.service.js';
import { users } from './schema.js';

const VARIABLES = ['DATABASE_URL', 'DATA_DIR', 'SEED_ON_START', 'SEED_SCALE'] as const;

/** Boots DatabaseModule alone with these variables, as the app would. */
async function boot(env: Partial<Record<(typeof VARIABLES)[number], string>>): Promise<TestingModule> {
  const saved = VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  try {
    const moduleRef = await Test.createTestingModule({ imports: [DatabaseModule] }).compile();
    return await moduleRef.init();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('DatabaseModule', () => {
  // Nest's Logger instances forward to the static logger: capture (and silence) the lines.
  const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);

  afterAll(() => log.mockRestore());

  describe('without DATABASE_URL, DATA_DIR=memory://', () => {
    let moduleRef: TestingModule;

    beforeAll(async () => {
      moduleRef = await boot({ DATA_DIR: 'memory://', SEED_SCALE: '0.01' });
    });

    afterAll(() => moduleRef?.close());

    it('provides an in-memory PGlite, migrated and seeded, and says so in the log', async () => {
      const service = moduleRef.get(DatabaseService);
      const db = moduleRef.get<Database>(DRIZZLE);

      expect(service.kind).toBe('pglite');
      expect(db).toBe(service.db);
      expect(await db.$count(users)).toBe(10);
      expect(log).toHaveBeenCalledWith('Using the embedded PostgreSQL (PGlite) in memory');
      expect(log).toHaveBeenCalledWith(
        expect.stringMatching(/^Seeded the empty database in \d+ ms: 10 users, 200 videos/),
      );
    });

    it('answers ping', async () => {
      await expect(moduleRef.get(DatabaseService).ping()).resolves.toBeUndefined();
    });
  });

  describe('with DATABASE_URL', () => {
    let server: TestDatabase;

    beforeAll(async () => {
      server = await createTestDatabase();
    });

    afterAll(() => server?.drop());

    it('uses the PostgreSQL server, seeds once, and closes the pool on shutdown (idempotently)', async () => {
      const env = { DATABASE_URL: server.url, SEED_ON_START: 'true', SEED_SCALE: '0.01' };
      const first = await boot(env);
      const service = first.get(DatabaseService);
      expect(service.kind).toBe('postgres');
      expect(await service.db.$count(users)).toBe(10);
      await first.close();
      await service.onApplicationShutdown();
      await expect(service.ping()).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/pool/) },
      });

      // A second start finds the data and leaves it alone.
      const second = await boot(env);
      expect(await second.get(DatabaseService).db.$count(users)).toBe(10);
      expect(log).toHaveBeenCalledWith('The database already holds data: not seeding it');
      await second.close();
    });

    it('does not seed a server by default: demo data goes only where it is asked for', async () => {
      const other = await createTestDatabase();
      try {
        const moduleRef = await boot({ DATABASE_URL: other.url, SEED_SCALE: '0.01' });
        expect(await moduleRef.get(DatabaseService).db.$count(users)).toBe(0);
        await moduleRef.close();
      } finally {
        await other.drop();
      }
    });

    it('does not seed when SEED_ON_START=false', async () => {
      const other = await createTestDatabase();
      try {
        const moduleRef = await boot({ DATABASE_URL: other.url, SEED_ON_START: 'false' });
        expect(await moduleRef.get(DatabaseService).db.$count(users)).toBe(0);
        await moduleRef.close();
      } finally {
        await other.drop();
      }
    });
  });

  it('refuses to start with an invalid variable, naming it', async () => {
    await expect(boot({ DATABASE_URL: 'mysql://localhost/db' })).rejects.toThrow(
      /^Invalid configuration: DATABASE_URL=/,
    );
  });

  it('fails start-up, without hanging, when the server cannot be reached', async () => {
    await expect(boot({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
