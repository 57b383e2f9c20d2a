// `npm run start:dev`: the compiler in watch mode, and the service restarted by Node whenever its
// compiled output changes. Node starts once the first compilation is done, so it never runs a
// half-written dist/.
import { spawn } from 'node:child_process';

const compiler = spawn(
  process.execPath,
  ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let service;

// tsc prints this line after each compilation, with or without errors.
const COMPILED = /Found \d+ errors?\. Watching for file changes\./;

compiler.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (service || !COMPILED.test(chunk.toString())) return;
  service = spawn(
    process.execPath,
    ['--watch', '--enable-source-maps', '--import', './dist/telemetry/preload.js', 'dist/main.js'],
    {
      stdio: 'inherit',
    },
  );
  service.on('exit', (code) => stop(code ?? 0));
});
compiler.on('exit', (code) => stop(code ?? 0));

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  compiler.kill('SIGTERM');
  service?.kill('SIGTERM');
  process.exitCode = code;
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop(0));
