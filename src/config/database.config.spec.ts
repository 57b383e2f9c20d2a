import { InvalidConfigError } from './validate-env.js';
import { DEFAULT_DATABASE_LIMITS, loadDatabaseConfig } from './database.config.js';

describe('loadDatabaseConfig', () => {
  it('defaults to the embedded database under ./data, seeded at scale 1', () => {
    expect(loadDatabaseConfig({})).toEqual({
      url: undefined,
      dataDir: './data',
      seedOnStart: true,
      seedScale: 1,
      limits: DEFAULT_DATABASE_LIMITS,
    });
  });

  it('bounds every database call by 5 s at most by default', () => {
    const { limits } = loadDatabaseConfig({});
    expect(limits?.queryTimeoutMs).toBeLessThanOrEqual(5_000);
    expect(limits?.statementTimeoutMs).toBeLessThanOrEqual(limits!.queryTimeoutMs);
    expect(limits?.connectTimeoutMs).toBeLessThanOrEqual(limits!.queryTimeoutMs);
  });

  it('reads the limits of database calls', () => {
    const { limits } = loadDatabaseConfig({
      DATABASE_QUERY_TIMEOUT_MS: '2500',
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      DATABASE_POOL_MAX: '4',
      DATABASE_MAX_CONCURRENCY: '3',
      DATABASE_QUEUE_LIMIT: '50',
      DATABASE_QUEUE_TIMEOUT_MS: '250',
      DATABASE_BREAKER_THRESHOLD: '2',
      DATABASE_BREAKER_COOLDOWN_MS: '500',
    });

    expect(limits).toEqual({
      queryTimeoutMs: 2500,
      statementTimeoutMs: 2000,
      connectTimeoutMs: 1000,
      poolMax: 4,
      maxConcurrent: 3,
      queueLimit: 50,
      queueTimeoutMs: 250,
      breakerThreshold: 2,
      breakerCooldownMs: 500,
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
      limits: DEFAULT_DATABASE_LIMITS,
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
    ['DATABASE_QUERY_TIMEOUT_MS', '0'],
    ['DATABASE_QUERY_TIMEOUT_MS', 'soon'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '-1'],
    ['DATABASE_CONNECT_TIMEOUT_MS', '1.5'],
    ['DATABASE_POOL_MAX', '0'],
    ['DATABASE_MAX_CONCURRENCY', '0'],
    ['DATABASE_QUEUE_LIMIT', '-1'],
    ['DATABASE_QUEUE_TIMEOUT_MS', 'x'],
    ['DATABASE_BREAKER_THRESHOLD', '0'],
    ['DATABASE_BREAKER_COOLDOWN_MS', '10'],
  ])('rejects %s=%s with one line naming the variable', (name, value) => {
    const load = () => loadDatabaseConfig({ [name]: value });

    expect(load).toThrow(InvalidConfigError);
    // One line that starts with the variable's name: no newline anywhere in the message.
    expect(load).toThrow(new RegExp(`^Invalid configuration: ${name}=[^\\n]*$`));
  });
});
