import { DATABASE_KINDS, openTestDatabase, type OpenTestDatabase } from '../../test/fixtures/database.js';
import { TRICKY_JSON, TRICKY_TEXTS } from '../../test/fixtures/texts.js';
import { templates } from '../database/index.js';
import { StaticRepository } from './static.repository.js';

describe.each(DATABASE_KINDS)('StaticRepository on %s', (kind) => {
  let database: OpenTestDatabase;
  let repository: StaticRepository;

  beforeAll(async () => {
    // A tiny seed brings the stock templates and configuration entries.
    database = await openTestDatabase(kind, { seed: { scale: 0.001 } });
    repository = new StaticRepository(database.db);
  });

  afterAll(() => database?.close());

  it('reads a seeded template and lists them all by id', async () => {
    const template = await repository.getTemplate('tpl_000001');
    const all = await repository.listTemplates();

    expect(template).toEqual({
      id: 'tpl_000001',
      name: 'Welcome email',
      body: expect.stringContaining('{{name}}'),
      version: expect.any(Number),
      updatedAt: expect.any(Date),
    });
    expect(all).toHaveLength(20);
    expect(all.map((t) => t.id)).toEqual(all.map((t) => t.id).toSorted());
  });

  it('answers null for an unknown template or key', async () => {
    expect(await repository.getTemplate('tpl_unknown')).toBeNull();
    expect(await repository.getConfig('no.such.key')).toBeNull();
  });

  it('stores a template body byte for byte', async () => {
    const body = TRICKY_TEXTS.join('\n');
    await database.db.insert(templates).values({ id: 'tpl_tricky', name: 'tricky', body });

    expect((await repository.getTemplate('tpl_tricky'))!.body).toBe(body);
  });

  it('creates, then replaces, a configuration entry', async () => {
    const created = await repository.setConfig('feature.x', { enabled: true });
    const replaced = await repository.setConfig('feature.x', { enabled: false, rollout: 0.5 });

    expect(created).toEqual({
      created: true,
      entry: { key: 'feature.x', value: { enabled: true }, updatedAt: expect.any(Date) },
    });
    expect(replaced).toEqual({
      created: false,
      entry: { key: 'feature.x', value: { enabled: false, rollout: 0.5 }, updatedAt: expect.any(Date) },
    });
    expect(await repository.getConfig('feature.x')).toEqual(replaced.entry);
  });

  it('stores any JSON value exactly, null and strings that look like JSON included', async () => {
    for (const [i, value] of TRICKY_JSON.entries()) {
      await repository.setConfig(`tricky.${i}`, value);
      const entry = await repository.getConfig(`tricky.${i}`);
      expect(entry).not.toBeNull();
      expect(JSON.stringify(entry!.value)).toBe(JSON.stringify(value));
      expect(entry!.value).toEqual(value);
    }
  });

  it('accepts any key text', async () => {
    for (const key of ['__proto__', '%_\\*', 'ключ 🔑', 'a/b/c']) {
      await repository.setConfig(key, key);
      expect((await repository.getConfig(key))!.value).toBe(key);
    }
  });

  it('lists the entries by key, seeded ones included', async () => {
    const all = await repository.listConfig();
    const keys = all.map((entry) => entry.key);

    expect(keys).toContain('player.autoplay');
    expect(keys).toContain('feature.x');
    expect(keys).toEqual([...keys].sort((a, b) => (Buffer.from(a).compare(Buffer.from(b)) < 0 ? -1 : 1)));
  });
});
