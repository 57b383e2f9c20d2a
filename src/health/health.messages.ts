export const noDatabaseProbe = () =>
  'no database probe is registered (DATABASE_PROBE): readiness reports the database as down';

export const redisRequiredButDisabled = () => 'REDIS_REQUIRED is true but REDIS_URL is unset';

export const warmupWaitTimedOut = (ms: number) =>
  `The first warm-up did not finish within ${ms} ms: readiness no longer waits for it`;

export const drainStarted = (ms: number) =>
  `Shutting down: readiness is now 503; serving in-flight and late requests for ${ms} ms before closing`;

export const drainFinished = () => 'Drain finished: closing the HTTP server and connections';

export const databaseCircuitOpen = () =>
  'database unavailable: its circuit breaker is open after repeated failures (probing it)';

/** A failed readiness check, with what each failing indicator reported. */
export const notReady = (failures: Record<string, unknown>) =>
  `Not ready: ${Object.entries(failures)
    .map(([key, detail]) => `${key} ${JSON.stringify(detail)}`)
    .join('; ')}`;
