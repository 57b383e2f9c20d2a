import { execFileSync, spawn } from 'node:child_process';
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  mkdirSync,
  cpSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './fixtures/deferred.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The compiler options of the scratch projects: the repository's layout, in small. */
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2023',
    module: 'nodenext',
    strict: true,
    types: [],
    incremental: true,
    tsBuildInfoFile: 'dist/.tsbuildinfo',
  },
};
const TSCONFIG_BUILD = {
  extends: './tsconfig.json',
  compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo.build' },
  include: ['src'],
  exclude: ['src/**/*.spec.ts'],
};

/** A project of its own in a temporary directory: the repository's scripts and compiler, no sources yet. */
function scratchProject(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vidcache-${label}-`));
  mkdirSync(join(dir, 'src'));
  cpSync(join(ROOT, 'scripts'), join(dir, 'scripts'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  writeFileSync(join(dir, 'tsconfig.build.json'), JSON.stringify(TSCONFIG_BUILD));
  return dir;
}

/**
 * `npm start`'s build step (scripts/build-if-needed.mjs), run in a small project of its own so the
 * test can touch and change sources freely: the repository's scripts and compiler, two sources.
 */
describe('the build before npm start', () => {
  let dir: string;
  const run = () =>
    execFileSync(process.execPath, ['scripts/build-if-needed.mjs'], { cwd: dir, encoding: 'utf8' });
  const source = () => join(dir, 'src/main.ts');
  const output = () => join(dir, 'dist/main.js');
  const outputTime = () => statSync(output()).mtimeMs;

  beforeAll(() => {
    dir = scratchProject('build');
    writeFileSync(source(), `export const answer: number = 41;\n`);
    writeFileSync(join(dir, 'src/other.ts'), `export const other = 'a';\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds when there is no build yet', () => {
    expect(run()).toContain('Building vidcache (no build yet)');
    expect(readFileSync(output(), 'utf8')).toContain('answer = 41');
  });

  it('does not build again when nothing changed', () => {
    const before = outputTime();
    expect(run()).toBe('');
    expect(outputTime()).toBe(before);
  });

  it('does not build again when a source is touched or rewritten with the same content (a git checkout)', () => {
    const before = outputTime();
    const later = new Date(Date.now() + 60_000);
    utimesSync(source(), later, later);
    expect(run()).toBe('');
    writeFileSync(join(dir, 'src/other.ts'), `export const other = 'a';\n`);
    expect(run()).toBe('');
    expect(outputTime()).toBe(before);
  });

  it('does not build for a change to a unit spec, which is not compiled', () => {
    writeFileSync(join(dir, 'src/main.spec.ts'), `export {};\n`);
    expect(run()).toBe('');
  });

  it('builds when a source really changed, and the output follows it', () => {
    writeFileSync(source(), `export const answer: number = 42;\n`);
    expect(run()).toContain('Building vidcache (sources changed since the last build)');
    expect(readFileSync(output(), 'utf8')).toContain('answer = 42');
    expect(run()).toBe('');
  });

  it('builds when a source changes back after another build from other sources (npm run build)', () => {
    writeFileSync(source(), `export const answer: number = 43;\n`);
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      cwd: dir,
    });
    writeFileSync(source(), `export const answer: number = 42;\n`);
    expect(run()).toContain('Building vidcache (the output was rebuilt from other sources since)');
    expect(readFileSync(output(), 'utf8')).toContain('answer = 42');
  });

  it('builds when the output is gone', () => {
    rmSync(output());
    expect(run()).toContain('Building vidcache (no build yet)');
    expect(readFileSync(output(), 'utf8')).toContain('answer = 42');
  });
});

describe('npm run start:dev', () => {
  let dir: string;
  beforeAll(() => {
    dir = scratchProject('dev');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles, starts the service, and restarts it with the new code when a source changes', async () => {
    // A stand-in service that says which version it runs and stays up.
    const version = (n: number) =>
      `console.log('service version ${n}');\nsetInterval(() => undefined, 1_000);\nexport {};\n`;
    writeFileSync(join(dir, 'src/main.ts'), version(1));
    // The service starts behind the telemetry preload, as `npm start` starts it.
    mkdirSync(join(dir, 'src/telemetry'), { recursive: true });
    writeFileSync(join(dir, 'src/telemetry/preload.ts'), 'export {};\n');
    const dev = spawn(process.execPath, ['scripts/dev.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    dev.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    try {
      await waitFor(() => output.includes('service version 1'), 60_000);
      writeFileSync(join(dir, 'src/main.ts'), version(2));
      await waitFor(() => output.includes('service version 2'), 60_000);
      expect(output.indexOf('service version 2')).toBeGreaterThan(output.indexOf('service version 1'));
    } finally {
      dev.kill('SIGTERM');
      await exited;
    }
  }, 150_000);
});
