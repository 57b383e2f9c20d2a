import { InvalidConfigError } from './validate-env.js';
import { loadDatabaseConfig } from './database.config.js';

describe('loadDatabaseConfig', () => {
  it('defaults to the embedded database under ./data, seeded at scale 1', () => {
    expect(loadDatabaseConfig({})).toEqual({
      url: undefined,
      dataDir: './data',
      seedOnStart: true,
      seedScale: 1,
    });
  });

  it('reads every variable', () => {
    const config = loadDatabaseConfig({
      DATABASE_URL: 'postgresql://app:s3cret@db.internal:5433/vidcache?sslmode=require',
      DATA_DIR: 'memory://',
      SEED_ON_START: 'false',
      SEED_SCALE: '0.01',
    });

    expect(config).toEqual({
      url: 'postgresql://app:s3cret@db.internal:5433/vidcache?sslmode=require',
      dataDir: 'memory://',
      seedOnStart: false,
      seedScale: 0.01,
    });
  });

  it('seeds by default only the embedded database: a server is seeded when SEED_ON_START asks', () => {
    const server = 'postgres://postgres@db/test';
    expect(loadDatabaseConfig({}).seedOnStart).toBe(true);
    expect(loadDatabaseConfig({ DATABASE_URL: server }).seedOnStart).toBe(false);
    expect(loadDatabaseConfig({ DATABASE_URL: server, SEED_ON_START: '' }).seedOnStart).toBe(false);
    expect(loadDatabaseConfig({ DATABASE_URL: server, SEED_ON_START: 'true' }).seedOnStart).toBe(true);
    expect(loadDatabaseConfig({ SEED_ON_START: 'false' }).seedOnStart).toBe(false);
  });

  it('accepts postgres:// URLs with a bare host name', () => {
    expect(loadDatabaseConfig({ DATABASE_URL: 'postgres://postgres@db/test' }).url).toBe(
      'postgres://postgres@db/test',
    );
  });

  it.each([
    ['0', false],
    ['no', false],
    ['off', false],
    ['1', true],
    ['TRUE', true],
    ['yes', true],
  ])('reads SEED_ON_START=%s as %s', (raw, expected) => {
    expect(loadDatabaseConfig({ SEED_ON_START: raw }).seedOnStart).toBe(expected);
  });

  it('treats empty variables as unset', () => {
    expect(loadDatabaseConfig({ DATABASE_URL: '', DATA_DIR: '', SEED_SCALE: '' })).toEqual(
      loadDatabaseConfig({}),
    );
  });

  it.each([
    ['DATABASE_URL', 'mysql://root@localhost/db'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'redis://localhost:6379'],
    ['SEED_ON_START', 'maybe'],
    ['SEED_SCALE', 'lots'],
    ['SEED_SCALE', '0'],
    ['SEED_SCALE', '-1'],
    ['SEED_SCALE', '11'],
    ['SEED_SCALE', 'Infinity'],
  ])('rejects %s=%s with one line naming the variable', (name, value) => {
    const load = () => loadDatabaseConfig({ [name]: value });

    expect(load).toThrow(InvalidConfigError);
    // One line that starts with the variable's name: no newline anywhere in the message.
    expect(load).toThrow(new RegExp(`^Invalid configuration: ${name}=[^\\n]*$`));
  });
});
