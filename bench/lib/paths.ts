import { cpSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root. The suite runs compiled, from `dist/bench/bench/…`, so paths are found by
 * walking up to the directory holding package.json rather than by a fixed number of `..`.
 */
export const REPO_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('bench: cannot find the repository root (no package.json above)');
    dir = parent;
  }
  return dir;
})();

/** Where the compiled suite lives: `dist/bench` (see bench/tsconfig.json). */
export const BUILD_ROOT = join(REPO_ROOT, 'dist', 'bench');
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

/**
 * The database layer finds its migrations relative to its compiled file (`../../src/database/
 * migrations`), which from `dist/bench/src/database/` is `dist/bench/src/database/migrations`.
 * They are copied there, so the compiled copy migrates exactly as the service does.
 */
export function ensureMigrationsBesideBuild(): void {
  const from = join(REPO_ROOT, 'src', 'database', 'migrations');
  const to = join(BUILD_ROOT, 'src', 'database', 'migrations');
  if (resolve(from) !== resolve(to)) cpSync(from, to, { recursive: true });
}
