import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { DEFAULT_DATABASE_LIMITS } from '../config/database.config.js';
import { findSourceUnavailable } from '../common/source-unavailable.error.js';
import { Deferred } from '../../test/fixtures/deferred.js';
import { DatabaseConnection, PGLITE_EXTENSIONS } from './database.connection.js';

// The embedded database under the guard: it cannot stall on a network, but a call can still wait too
// long (behind a long transaction), and that wait is bounded and turned into a 503-able error.
describe('PGlite under the source guard', () => {
  let connection: DatabaseConnection;

  beforeAll(async () => {
    const client = await PGlite.create({ extensions: PGLITE_EXTENSIONS });
    connection = DatabaseConnection.fromPGlite(client, 'memory', {
      ...DEFAULT_DATABASE_LIMITS,
      queryTimeoutMs: 300,
      maxConcurrent: 1,
      queueLimit: 1,
      queueTimeoutMs: 50,
      breakerThreshold: 100,
    });
  });
  afterAll(() => connection.close());

  it('bounds a call waiting for the slot, and a transaction running past the hard bound', async () => {
    const hold = new Deferred();
    const transaction = connection.db
      .transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        await hold.promise;
      })
      .catch((error: unknown) => error);

    const waiting = await connection.db.execute(sql`select 2`).catch((error: unknown) => error);
    expect(findSourceUnavailable(waiting)).toMatchObject({ reason: 'bulkhead-timeout' });

    expect(findSourceUnavailable(await transaction)).toMatchObject({ reason: 'timeout' });
    hold.resolve();

    // The guard gave the slot back: the database serves again.
    await expect(connection.db.execute(sql`select 3 as n`)).resolves.toMatchObject({ rows: [{ n: 3 }] });
    expect(connection.sourceStats()).toMatchObject({
      circuit: 'closed',
      timeouts: 1,
      bulkhead: { rejections: { 'bulkhead-timeout': 1 } },
    });
  });
});
