// `npm start` builds only when what the compiler reads changed since the last build. It compares
// content hashes, not modification times: a `git checkout` or an editor touches files without
// changing them, and each such start used to pay for a full build.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PROJECT = 'tsconfig.build.json';
// What the output depends on: the sources, the compiler options, and the compiler itself.
const INPUTS = ['src', 'tsconfig.json', PROJECT, 'node_modules/typescript/package.json'];

const { compilerOptions } = JSON.parse(readFileSync(PROJECT, 'utf8'));
const outDir = compilerOptions.outDir;
const output = join(outDir, 'main.js');
// Rewritten by every build that emits, whoever ran it (`npm run build` too), so a stamp that
// does not match it means the output is no longer the build the stamp describes.
const buildInfo = compilerOptions.tsBuildInfoFile;
const stampFile = join(outDir, '.build-inputs.json');

/** The files at `path` (itself, or every file under it), in a stable order; none when it is absent. */
function filesAt(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesAt(join(path, name)));
}

function hashOf(paths) {
  const hash = createHash('sha256');
  for (const path of paths) hash.update(path).update('\0').update(readFileSync(path)).update('\0');
  return hash.digest('hex');
}

// Unit specs sit beside the sources but are not compiled into the output.
const isSpec = (path) => path.endsWith('.spec.ts');
const current = {
  inputs: hashOf(INPUTS.flatMap(filesAt).filter((path) => !isSpec(path))),
  buildInfo: existsSync(buildInfo) ? hashOf([buildInfo]) : null,
};
const recorded = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, 'utf8')) : {};

const reason = !existsSync(output)
  ? 'no build yet'
  : recorded.inputs !== current.inputs
    ? 'sources changed since the last build'
    : recorded.buildInfo !== current.buildInfo
      ? 'the output was rebuilt from other sources since'
      : undefined;

if (reason) {
  console.log(`Building vidcache (${reason})...`);
  // The incremental compiler trusts its build info and does not re-emit outputs deleted since.
  if (!existsSync(output)) rmSync(buildInfo, { force: true });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', PROJECT], { stdio: 'inherit' });
  writeFileSync(stampFile, JSON.stringify({ inputs: current.inputs, buildInfo: hashOf([buildInfo]) }));
}
