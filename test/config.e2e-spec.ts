import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildIfNeeded } from './fixtures/app-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG_DIR = new URL('../src/config/', import.meta.url);

/** The variables of the README's configuration table (first column of the table after the heading). */
function documentedVariables(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Configuration'),
    readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
  );
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((match) => match[1]!);
}

/**
 * The variables the configuration classes declare (properties written in capitals, one per
 * variable), plus those read directly from `env.` in the same files (`NODE_ENV`).
 */
function declaredVariables(): string[] {
  const names = new Set<string>();
  for (const file of readdirSync(CONFIG_DIR).filter((name) => name.endsWith('.config.ts'))) {
    const source = readFileSync(new URL(file, CONFIG_DIR), 'utf8');
    for (const match of source.matchAll(/^ {2}([A-Z][A-Z0-9_]+)[?!]?:/gm)) names.add(match[1]!);
    for (const match of source.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) names.add(match[1]!);
  }
  return [...names];
}

/** Starts the built service with one variable set; it must stop at once. */
const startWith = (name: string, value: string) =>
  spawnSync(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: { ...process.env, [name]: value, PORT: '0' },
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('configuration', () => {
  beforeAll(() => buildIfNeeded(), 120_000);

  it('the README table lists every variable the configuration classes read, and no other', () => {
    const documented = documentedVariables();
    const declared = declaredVariables();

    expect(declared.length).toBeGreaterThan(30);
    expect(declared.filter((name) => !documented.includes(name))).toEqual([]);
    expect(documented.filter((name) => !declared.includes(name))).toEqual([]);
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('a CACHE_POLICIES entry for an unknown namespace stops the start-up with a line naming it', () => {
    const run = startWith('CACHE_POLICIES', JSON.stringify({ vidoe: { l2TtlMs: 1_000 } }));

    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: CACHE_POLICIES=.*unknown cache namespace "vidoe"/);
  });

  it('an invalid secret is named, never echoed', () => {
    const secret = 'tooshort-secret';
    const run = startWith('ADMIN_TOKEN', secret);

    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      `Invalid configuration: ADMIN_TOKEN=<secret, ${secret.length} characters> (must be at least 16 characters)`,
    );
    expect(run.stdout + run.stderr).not.toContain(secret);
  });
});
