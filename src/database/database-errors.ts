// SQLSTATE codes the repositories turn into results rather than errors. Both drivers put the code on
// the error they throw, and Drizzle wraps that error (as `cause`) in its own DrizzleQueryError.
const FOREIGN_KEY_VIOLATION = '23503';

function sqlState(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Whether a query failed because a referenced row (a user, a video) does not exist. */
export function isForeignKeyViolation(error: unknown): boolean {
  return sqlState(error) === FOREIGN_KEY_VIOLATION;
}
