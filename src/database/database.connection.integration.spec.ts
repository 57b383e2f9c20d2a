import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import {
  createTestDatabase,
  DATABASE_KINDS,
  openTestDatabase,
  type OpenTestDatabase,
} from '../../test/fixtures/database.js';
import { IN_MEMORY_DATA_DIR } from '../config/database.config.js';
import { DatabaseConnection, PGLITE_SHARED_BUFFERS } from './database.connection.js';
import { queryRows } from './raw-query.js';

const TABLES = ['config_entries', 'events', 'queue_items', 'sessions', 'templates', 'users', 'videos'];

async function tableNames(connection: DatabaseConnection): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    connection.db,
    sql`select table_name as name from information_schema.tables
        where table_schema = 'public' order by table_name`,
  );
  return rows.map((row) => row.name);
}

describe.each(DATABASE_KINDS)('DatabaseConnection on %s', (kind) => {
  let database: OpenTestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });

  afterAll(() => database?.close());

  it('applies the checked-in migrations', async () => {
    const applied = await queryRows<{ count: string | number }>(
      database.db,
      sql`select count(*) as count from drizzle.__drizzle_migrations`,
    );

    expect(database.connection.kind).toBe(kind);
    expect(await tableNames(database.connection)).toEqual(TABLES);
    expect(Number(applied[0].count)).toBeGreaterThanOrEqual(2);
  });

  it('migrates again without doing anything', async () => {
    await database.connection.migrate();

    expect(await tableNames(database.connection)).toEqual(TABLES);
  });

  it('answers a ping', async () => {
    await expect(database.connection.ping()).resolves.toBeUndefined();
  });

  it('runs start-up work under the start-up lock, one task at a time', async () => {
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      log.push(`${name} end`);
    };

    await Promise.all([
      database.connection.withStartupLock(task('a')),
      database.connection.withStartupLock(task('b')),
    ]);

    // PostgreSQL serialises the two; PGlite belongs to one process and needs no lock.
    const serialised = ['a start', 'a end', 'b start', 'b end'];
    const overlapping = ['a start', 'b start', 'a end', 'b end'];
    expect(log).toEqual(kind === 'postgres' ? serialised : overlapping);
  });
});

describe.each(DATABASE_KINDS)('closing a %s connection', (kind) => {
  it('is idempotent, and a ping afterwards rejects', async () => {
    const database = await openTestDatabase(kind);
    try {
      await Promise.all([database.connection.close(), database.connection.close()]);
      await database.connection.close();

      expect(database.connection.closed).toBe(true);
      await expect(database.connection.ping()).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/PGlite is closed|after calling end on the pool/) },
      });
    } finally {
      await database.close();
    }
  });
});

describe('PGlite under DATA_DIR', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'vidcache-pglite-'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('creates the directory and keeps the data across restarts', async () => {
    const config = {
      url: undefined,
      dataDir: join(root, 'nested', 'data'),
      seedOnStart: false,
      seedScale: 1,
    };

    const first = await DatabaseConnection.open(config);
    await first.migrate();
    await first.db.execute(
      sql`insert into users (id, name, email) values ('usr_kept', 'Kept', 'k@example.com')`,
    );
    await first.close();
    const second = await DatabaseConnection.open(config);
    await second.migrate();
    const rows = await queryRows<{ name: string }>(
      second.db,
      sql`select name from users where id = 'usr_kept'`,
    );
    await second.close();

    expect(first.describe()).toBe(`Using the embedded PostgreSQL (PGlite) in ${config.dataDir}`);
    expect(rows).toEqual([{ name: 'Kept' }]);
  });

  it('runs PostgreSQL with a small buffer cache, on disk and in memory', async () => {
    for (const dataDir of [join(root, 'buffers'), IN_MEMORY_DATA_DIR]) {
      const connection = await DatabaseConnection.open({
        url: undefined,
        dataDir,
        seedOnStart: false,
        seedScale: 1,
      });
      try {
        const [setting] = await queryRows<{ shared_buffers: string }>(
          connection.db,
          sql`show shared_buffers`,
        );
        // PostgreSQL's 128MB default, in a process that holds the data in memory already, cost
        // about 100 MB of resident memory that never came back.
        expect([dataDir, setting?.shared_buffers]).toEqual([dataDir, PGLITE_SHARED_BUFFERS]);
      } finally {
        await connection.close();
      }
    }
  });
});

describe('PostgreSQL URL', () => {
  it('is logged without its password', async () => {
    const server = await createTestDatabase();
    const url = new URL(server.url);
    url.password = 'not-to-be-logged';
    const connection = await DatabaseConnection.open({
      url: url.toString(),
      dataDir: 'memory://',
      seedOnStart: false,
      seedScale: 1,
    });
    try {
      expect(connection.describe()).toContain('Using PostgreSQL at postgres://postgres:***@');
      expect(connection.describe()).not.toContain('not-to-be-logged');
    } finally {
      await connection.close();
      await server.drop();
    }
  });
});
