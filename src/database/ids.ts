import { randomUUID } from 'node:crypto';
import type { IdPrefix } from './database.constants.js';

/**
 * A new server-chosen id such as `vid_3b241101-e2bb-4255-8caf-4136c566a962`. Unguessable, so it
 * is also fit for session ids.
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomUUID()}`;
}

/** The stable id of the n-th seeded row (1-based), such as `vid_000042`. */
export function seedId(prefix: IdPrefix, n: number): string {
  return `${prefix}_${String(n).padStart(6, '0')}`;
}
