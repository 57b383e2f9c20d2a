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

/** Whether a query failed because it would duplicate a value of this unique index or constraint. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const cause = driverError(error);
  return cause?.code === UNIQUE_VIOLATION && cause.constraint === constraint;
}
