import { loadOpsConfig } from './ops.config.js';
import { InvalidConfigError } from './validate-env.js';

describe('loadOpsConfig', () => {
  it('defaults: immediate shutdown and readable logs outside production', () => {
    expect(loadOpsConfig({})).toEqual({
      warmupReadyTimeoutMs: 30_000,
      warmupLockTtlMs: 30_000,
      warmupFollowerWaitMs: 120_000,
      warmupItemTimeoutMs: 10_000,
      warmupConcurrency: 4,
      shutdownDrainMs: 0,
      rateLimitTtlMs: 60_000,
      rateLimitMax: 1_000,
      rateLimitSyncMs: 50,
      healthCheckTimeoutMs: 1_000,
      alertCheckIntervalMs: 60_000,
      logFormat: 'pretty',
      logLevel: 'log',
      predictiveWarming: true,
      predictiveMaxPerSecond: 50,
    });
  });

  it('in production: a 5 s drain and JSON logs, unless set', () => {
    expect(loadOpsConfig({ NODE_ENV: 'production' })).toMatchObject({
      shutdownDrainMs: 5_000,
      logFormat: 'json',
    });
    expect(
      loadOpsConfig({ NODE_ENV: 'production', SHUTDOWN_DRAIN_MS: '0', LOG_FORMAT: 'pretty' }),
    ).toMatchObject({
      shutdownDrainMs: 0,
      logFormat: 'pretty',
    });
  });

  it('reads every variable', () => {
    expect(
      loadOpsConfig({
        WARMUP_READY_TIMEOUT_MS: '1',
        WARMUP_LOCK_TTL_MS: '2000',
        WARMUP_FOLLOWER_WAIT_MS: '3',
        WARMUP_ITEM_TIMEOUT_MS: '4',
        WARMUP_CONCURRENCY: '5',
        SHUTDOWN_DRAIN_MS: '6',
        RATE_LIMIT_TTL_MS: '7',
        RATE_LIMIT_MAX: '8',
        RATE_LIMIT_SYNC_MS: '80',
        HEALTH_CHECK_TIMEOUT_MS: '9',
        ALERT_CHECK_INTERVAL_MS: '1000',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'debug',
        PREDICTIVE_WARMING: 'false',
        PREDICTIVE_MAX_PER_SECOND: '12',
      }),
    ).toEqual({
      warmupReadyTimeoutMs: 1,
      warmupLockTtlMs: 2000,
      warmupFollowerWaitMs: 3,
      warmupItemTimeoutMs: 4,
      warmupConcurrency: 5,
      shutdownDrainMs: 6,
      rateLimitTtlMs: 7,
      rateLimitMax: 8,
      rateLimitSyncMs: 80,
      healthCheckTimeoutMs: 9,
      alertCheckIntervalMs: 1000,
      logFormat: 'json',
      logLevel: 'debug',
      predictiveWarming: false,
      predictiveMaxPerSecond: 12,
    });
  });

  it.each([
    ['RATE_LIMIT_MAX', '0'],
    ['RATE_LIMIT_MAX', 'lots'],
    ['RATE_LIMIT_TTL_MS', '-1'],
    ['RATE_LIMIT_SYNC_MS', '5'],
    ['SHUTDOWN_DRAIN_MS', '-5'],
    ['WARMUP_CONCURRENCY', '0'],
    ['WARMUP_LOCK_TTL_MS', '10'],
    ['LOG_FORMAT', 'xml'],
    ['LOG_LEVEL', 'info'],
    ['HEALTH_CHECK_TIMEOUT_MS', '1.5'],
  ])('rejects %s=%s with one line naming the variable', (name, value) => {
    const load = () => loadOpsConfig({ [name]: value });
    expect(load).toThrow(InvalidConfigError);
    expect(load).toThrow(new RegExp(`^Invalid configuration: ${name}=[^\\n]*$`));
  });
});
