import { appConfig } from './app.config.js';
import { cacheConfig } from './cache.config.js';
import { loadDatabaseConfig } from './database.config.js';
import { loadOpsConfig } from './ops.config.js';
import { resolveCacheOptions } from '../cache/index.js';

/** Every configuration namespace, validated; returns the first error as one line, or undefined. */
export function validateAllConfig(): string | undefined {
  try {
    appConfig();
    resolveCacheOptions(cacheConfig());
    loadDatabaseConfig();
    loadOpsConfig();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
