import { sql } from 'drizzle-orm';
import { DATABASE_KINDS, openTestDatabase, type OpenTestDatabase } from '../../test/fixtures/database.js';
import { TRICKY_JSON } from '../../test/fixtures/texts.js';
import { sessions } from '../database/index.js';
import { SessionsRepository } from './sessions.repository.js';
import { UsersRepository } from './users.repository.js';

const inOneHour = () => new Date(Date.now() + 3_600_000);

describe.each(DATABASE_KINDS)('SessionsRepository on %s', (kind) => {
  let database: OpenTestDatabase;
  let repository: SessionsRepository;
  let userId: string;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    repository = new SessionsRepository(database.db);
    userId = (await new UsersRepository(database.db).create({ name: 'Ada', email: 'ada@example.com' })).id;
  });

  afterAll(() => database?.close());

  /** Makes a session expire now, by the database clock the repository compares with. */
  const expire = (id: string) =>
    database.db
      .update(sessions)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(sql`${sessions.id} = ${id}`);

  it('creates a session with an unguessable id and finds it', async () => {
    const expiresAt = inOneHour();

    const created = await repository.create({ userId, data: { cart: [1, 2] }, expiresAt });

    expect(created).toEqual({
      id: expect.stringMatching(/^ses_[0-9a-f-]{36}$/),
      userId,
      data: { cart: [1, 2] },
      createdAt: expect.any(Date),
      expiresAt,
    });
    expect(await repository.findById(created!.id)).toEqual(created);
  });

  it('defaults data to an empty object', async () => {
    const created = await repository.create({ userId, expiresAt: inOneHour() });

    expect(created!.data).toEqual({});
  });

  it('answers null for an unknown user', async () => {
    expect(await repository.create({ userId: 'usr_unknown', expiresAt: inOneHour() })).toBeNull();
  });

  it('answers null for an unknown or expired session', async () => {
    const created = await repository.create({ userId, expiresAt: inOneHour() });
    await expire(created!.id);

    expect(await repository.findById('ses_unknown')).toBeNull();
    expect(await repository.findById(created!.id)).toBeNull();
  });

  it('deletes a live session once, and reports an expired one as absent', async () => {
    const live = await repository.create({ userId, expiresAt: inOneHour() });
    const expired = await repository.create({ userId, expiresAt: inOneHour() });
    await expire(expired!.id);

    expect(await repository.delete(live!.id)).toBe(true);
    expect(await repository.delete(live!.id)).toBe(false);
    expect(await repository.findById(live!.id)).toBeNull();
    expect(await repository.delete(expired!.id)).toBe(false);
    expect(await repository.delete('ses_unknown')).toBe(false);
  });

  it('purges expired sessions', async () => {
    const live = await repository.create({ userId, expiresAt: inOneHour() });
    const expired = await repository.create({ userId, expiresAt: inOneHour() });
    await expire(expired!.id);

    expect(await repository.deleteExpired()).toBeGreaterThanOrEqual(1);
    expect(await repository.deleteExpired()).toBe(0);
    expect(await repository.findById(live!.id)).not.toBeNull();
  });

  it('stores any JSON data exactly', async () => {
    for (const data of TRICKY_JSON) {
      const created = await repository.create({ userId, data, expiresAt: inOneHour() });
      const found = await repository.findById(created!.id);
      expect(JSON.stringify(found!.data)).toBe(JSON.stringify(data));
      expect(found!.data).toEqual(data);
    }
  });
});
