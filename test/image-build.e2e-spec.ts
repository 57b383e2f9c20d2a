import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppProcess } from './fixtures/app-process.js';
import { parseDockerfile, stageEnv, type DockerStage } from './fixtures/dockerfile.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The Dockerfile's steps, run without a Docker engine (none runs here): each stage is a directory
 * standing for the image's file system. The build stage's COPY and RUN steps run as written (npm
 * ci, the build, npm prune --omit=dev) in a clean copy of what the Dockerfile copies; the runtime
 * stage gets only what it copies from the build stage, and its CMD is started with its ENV. So a
 * runtime dependency left among the devDependencies, a file the build forgot to copy or a lock
 * that npm ci refuses fails here, as it would fail the image.
 *
 * Not run: the base image's own contents (this machine's Node 24 stands in for node:24) and the
 * runtime stage's RUN, which only creates the data directory and hands it to the `node` user.
 */
describe('the Dockerfile, built step by step without Docker', () => {
  const stages = parseDockerfile(join(ROOT, 'Dockerfile'));
  const build = stages.find((stage) => stage.name === 'build')!;
  const runtime = stages.at(-1)!;
  let scratch: string;
  const roots = new Map<DockerStage, string>();

  /** Where `path`, as the stage sees it, is on this machine. */
  const inStage = (stage: DockerStage, workdir: string, path: string) =>
    join(roots.get(stage)!, isAbsolute(path) ? path : join(workdir, path));

  function runStage(stage: DockerStage, options: { run: boolean }): string {
    let workdir = '/';
    for (const { name, flags, args, text } of stage.instructions) {
      if (name === 'WORKDIR') {
        workdir = args[0]!;
        mkdirSync(inStage(stage, workdir, '.'), { recursive: true });
      } else if (name === 'COPY') {
        const from = flags.from ? stages.find((s) => s.name === flags.from)! : undefined;
        const sources = args.slice(0, -1);
        const target = args.at(-1)!;
        for (const source of sources) {
          const origin = from ? inStage(from, '/', source) : join(ROOT, source);
          const destination = target.endsWith('/')
            ? join(inStage(stage, workdir, target), source.split('/').at(-1)!)
            : inStage(stage, workdir, target);
          mkdirSync(dirname(destination), { recursive: true });
          cpSync(origin, destination, { recursive: true });
        }
      } else if (name === 'RUN' && options.run) {
        execFileSync('sh', ['-c', text], {
          cwd: inStage(stage, workdir, '.'),
          // This machine's Node first, as the base image's would be.
          env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
          stdio: 'pipe',
        });
      }
    }
    return inStage(stage, workdir, '.');
  }

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'vidcache-image-'));
    for (const stage of stages) {
      roots.set(stage, join(scratch, stage.name));
      mkdirSync(join(scratch, stage.name));
    }
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('has a build stage and a runtime stage that starts node', () => {
    expect(build).toBeDefined();
    expect(runtime).not.toBe(build);
    expect(runtime.instructions.find((i) => i.name === 'CMD')?.args[0]).toBe('node');
  });

  it('builds, and the pruned runtime serves the API on embedded defaults', async () => {
    runStage(build, { run: true });
    const app = runStage(runtime, { run: false });
    const [, ...cmdArgs] = runtime.instructions.find((i) => i.name === 'CMD')!.args;
    // Pruned: the development tools stayed in the build stage (TypeScript itself does not:
    // @nestjs/swagger depends on it).
    for (const tool of ['jest', '@swc/core', 'oxlint', 'prettier', 'drizzle-kit']) {
      expect([tool, existsSync(join(app, 'node_modules', tool))]).toEqual([tool, false]);
    }
    expect(existsSync(join(app, 'dist/main.js'))).toBe(true);

    const service = new AppProcess(
      {
        ...stageEnv(runtime),
        // Small and in memory: the image's DATA_DIR is a path inside the image.
        DATA_DIR: 'memory://',
        SEED_SCALE: '0.01',
        LOG_FORMAT: 'json',
      },
      { cwd: app, args: cmdArgs, inheritEnv: false },
    );
    await service.start(120_000);
    try {
      expect((await service.fetch('/health/live')).status).toBe(200);
      expect((await service.fetch('/videos/vid_000001')).status).toBe(200);
      expect((await service.fetch('/docs')).status).toBe(200);
    } finally {
      await service.stop();
    }
  }, 600_000);
});
