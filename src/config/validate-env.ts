import { plainToInstance, Transform } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { redactUrl } from '../redis/redis-connections.js';

/** Thrown at start-up when an environment variable is invalid; its message is one line naming it. */
export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
}

/** Variables whose value is a credential: an error says how long it is, never what it is. */
const SECRET_VARIABLES = new Set(['ADMIN_TOKEN']);

function describe(error: ValidationError, source: Record<string, string | undefined>): string {
  const reasons = Object.values(error.constraints ?? {}).join('; ');
  // The raw text the operator wrote, not its converted value (`abc`, not `NaN`), minus any password.
  const raw = source[error.property];
  const shown =
    raw === undefined
      ? 'unset'
      : SECRET_VARIABLES.has(error.property)
        ? `<secret, ${raw.length} characters>`
        : JSON.stringify(redactUrl(raw));
  return `Invalid configuration: ${error.property}=${shown} (${reasons})`;
}

/**
 * Validates the environment variables that one configuration namespace reads, declared as a
 * class-validator class whose property names are the variable names. Runs once, at start-up.
 *
 * @example
 * class DatabaseEnv { @IsOptional() @IsUrl() DATABASE_URL?: string }
 * const env = validateEnv(DatabaseEnv); // throws InvalidConfigError naming the variable
 */
export function validateEnv<T extends object>(
  schema: new () => T,
  source: Record<string, string | undefined> = process.env,
): T {
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    // Empty variables count as unset, so `FOO=` in a compose file falls back to the default.
    if (value !== undefined && value !== '') picked[name] = value;
  }
  const instance = plainToInstance(schema, picked, {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: false });
  if (errors.length > 0) throw new InvalidConfigError(errors.map((e) => describe(e, source)).join(' | '));
  return instance;
}

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

/**
 * Parses a boolean variable (`true/false/1/0/yes/no/on/off`). Implicit conversion would turn any
 * non-empty string, `false` included, into `true`, so the raw value is read; anything else is left
 * as is for `@IsBoolean` to reject with the variable's name.
 */
export const EnvBoolean = () =>
  Transform(
    ({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
      const value = obj[key];
      if (typeof value !== 'string') return value;
      const word = value.trim().toLowerCase();
      return TRUE_WORDS.includes(word) ? true : FALSE_WORDS.includes(word) ? false : value;
    },
    { toClassOnly: true },
  );

/** Parses a JSON variable; invalid JSON is left as the raw string, for the validator to reject. */
export const EnvJson = () =>
  Transform(
    ({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
      const value = obj[key];
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return value;
      }
    },
    { toClassOnly: true },
  );
