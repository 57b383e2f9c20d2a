import { readFileSync } from 'node:fs';
import type { CacheKey } from '../cache/index.js';

/** The cache namespace of templates, configuration, API documentation and status. */
export const STATIC_NAMESPACE = 'static';

export const templateKey = (id: string): CacheKey => ['template', id];
export const configKey = (key: string): CacheKey => ['config', key];
/** Keyed by the service's version too: a new release must not serve the previous one's document. */
export const apiDocsKey = (version: string): CacheKey => ['api-docs', version, serviceVersion()];
/** Per replica: a status describes the replica that answers. */
export const statusKey = (replicaId: string): CacheKey => ['status', replicaId];

/** `Cache-Control` of content that changes only with a release or an operator's edit. */
export const CACHE_CONTROL_PUBLIC = 'public, max-age=300';
/** `Cache-Control` of configuration: clients may keep it but must revalidate (it can change any time). */
export const CACHE_CONTROL_REVALIDATE = 'no-cache';

/** How long a status stays cached. */
export const STATUS_TTL_MS = 5_000;

/** Configuration keys, as the path accepts them. */
export const CONFIG_KEY_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
/** API versions, as the path accepts them (`v1`). */
export const API_VERSION_PATTERN = /^v[0-9]{1,4}$/;

/** Where Swagger serves the running app's OpenAPI document (see `app.setup.ts`). */
export const OPENAPI_JSON_PATH = '/docs/json';

let packageVersion: string | undefined;
/**
 * The service's version, from package.json (two levels up from both `src/static` and `dist/static`),
 * read on first use: code compiled elsewhere (the benchmarks, under `dist/bench/`) imports these
 * constants too, and has no package.json there.
 */
export function serviceVersion(): string {
  packageVersion ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return packageVersion;
}
