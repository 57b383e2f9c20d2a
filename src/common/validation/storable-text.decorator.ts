import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isStorableText } from '../../database/index.js';

/**
 * A string the database stores exactly: no NUL and no unpaired surrogate. Anything else comes back
 * byte for byte, so it is accepted as sent.
 */
export const IsStorableText = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isStorableText',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isStorableText(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be a string without NUL characters or unpaired UTF-16 surrogates`,
      },
    },
    options,
  );
