import { Matches, type ValidationOptions } from 'class-validator';
import type { IdPrefix } from '../../database/index.js';

const NAMES: Record<IdPrefix, string> = { usr: 'user', vid: 'video', ses: 'session', tpl: 'template' };

/** The shape `ParseIdPipe` accepts in paths: `<prefix>_` then 1-64 of `[0-9A-Za-z-]`. */
export const entityIdPattern = (prefix: IdPrefix) => new RegExp(`^${prefix}_[0-9A-Za-z-]{1,64}$`);

/**
 * A body field holding an id, checked like ids in paths (`ParseIdPipe`), so that a malformed id is a
 * 400 naming the field before anything reaches the database.
 */
export const IsEntityId = (prefix: IdPrefix, options?: ValidationOptions) =>
  Matches(entityIdPattern(prefix), {
    message: ({ property }) =>
      `${property} must be a ${NAMES[prefix]} id (${prefix}_ followed by 1-64 letters, digits or dashes)`,
    ...options,
  });
