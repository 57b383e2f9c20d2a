// SQLSTATE codes the repositories turn into results rather than errors. Both drivers put the code on
// the error they throw, and Drizzle wraps that error (as `cause`) in its own DrizzleQueryError.
const FOREIGN_KEY_VIOLATION = '23503';
const UNIQUE_VIOLATION = '23505';

/** The driver's error (the one that carries the SQLSTATE), under Drizzle's wrapper. */
function driverError(error: unknown): { code: string; constraint?: unknown } | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string') return current as Error & { code: string; constraint?: unknown };
  }
  return undefined;
}

const sqlState = (error: unknown): string | undefined => driverError(error)?.code;

/** Whether a query failed because a referenced row (a user, a video) does not exist. */
export function isForeignKeyViolation(error: unknown): boolean {
  return sqlState(error) === FOREIGN_KEY_VIOLATION;
}

/** How an unreachable database shows itself: it did not answer in time, or the connection failed. */
export type DatabaseOutage = 'timeout' | 'connection';

// SQLSTATEs that say the server cannot serve, whatever the query: class 08 (connection exception),
// the server shutting down or killing the session (57P01 admin_shutdown, which pg_terminate_backend
// raises; 57P02, 57P03), too many connections (53300), and a statement cancelled by
// statement_timeout (57014), which is the server-side half of the hard bound.
const OUTAGE_SQLSTATES: Record<string, DatabaseOutage> = {
  '57014': 'timeout',
  '57P01': 'connection',
  '57P02': 'connection',
  '57P03': 'connection',
  '53300': 'connection',
};

// Socket errors of the driver (Node's errno codes).
const OUTAGE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// node-postgres reports its own timeouts and lost connections as plain Errors, without a code; their
// messages are all it offers to tell them apart.
const OUTAGE_MESSAGES: [RegExp, DatabaseOutage][] = [
  [/timeout exceeded when trying to connect/i, 'timeout'],
  [/connection terminated due to connection timeout/i, 'timeout'],
  [/query read timeout/i, 'timeout'],
  [/connection terminated/i, 'connection'],
  [/not queryable/i, 'connection'],
];

/**
 * Whether `error` (or an error it wraps) says the database is unreachable rather than that the query
 * was wrong: the answer decides between a `503` (and a breaker failure) and the query's own error.
 */
export function classifyDatabaseOutage(error: unknown): DatabaseOutage | undefined {
  // Duck-typed rather than `instanceof Error`: socket errors come from Node's own realm, which is not
  // the realm of the application's code under a test runner's module sandbox.
  for (let current = asErrorLike(error), depth = 0; current && depth < 8; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string') {
      if (OUTAGE_ERRNOS.has(code) || code.startsWith('08')) return 'connection';
      const known = OUTAGE_SQLSTATES[code];
      if (known) return known;
    }
    // AggregateError: a refused connection to `localhost` fails on every address it resolves to.
    if (Array.isArray(current.errors)) {
      for (const inner of current.errors as unknown[]) {
        const outage = classifyDatabaseOutage(inner);
        if (outage) return outage;
      }
    }
    // Only the driver's own plain Errors: a query's error (Drizzle's, the server's) can quote the
    // client's input, which must never be mistaken for an outage.
    if (typeof code !== 'string' && current.constructor?.name === 'Error') {
      for (const [pattern, outage] of OUTAGE_MESSAGES) if (pattern.test(current.message)) return outage;
    }
    current = asErrorLike(current.cause);
  }
  return undefined;
}

interface ErrorLike {
  message: string;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
  constructor?: { name?: string };
}

const asErrorLike = (value: unknown): ErrorLike | undefined =>
  typeof value === 'object' && value !== null && typeof (value as ErrorLike).message === 'string'
    ? (value as ErrorLike)
    : undefined;

/** Whether a query failed because it would duplicate a value of this unique index or constraint. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const cause = driverError(error);
  return cause?.code === UNIQUE_VIOLATION && cause.constraint === constraint;
}
