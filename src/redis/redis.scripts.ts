import { RedisScript } from './redis-script.js';

/**
 * Deletes a lock only if it still holds this owner's token (compare-and-delete in one step), so an
 * owner whose lock expired and was taken by another never releases the other's.
 * KEYS[1] the lock, ARGV[1] the owner's token; returns 1 when it released.
 */
export const RELEASE_IF_OWNER = new RedisScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
);
