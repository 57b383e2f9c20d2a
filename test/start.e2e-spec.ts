import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AppProcess, buildIfNeeded } from './fixtures/app-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the built service, started as npm start starts it', () => {
  beforeAll(() => buildIfNeeded(), 120_000);

  it('serves on embedded defaults (PGlite, no Redis): ready, Swagger UI at /docs, the seeded API', async () => {
    const service = new AppProcess({ DATA_DIR: 'memory://', SEED_SCALE: '0.01', WARMUP_ON_BOOT: 'true' });
    await service.start(120_000);
    try {
      const docs = await service.fetch('/docs');
      const video = await service.fetch('/videos/vid_000001');
      const ready = (await (await service.fetch('/health/ready')).json()) as {
        details: { cache: { redis: { state: string } } };
      };

      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('swagger-ui');
      expect(video.status).toBe(200);
      expect(video.headers.get('cache-status')).toMatch(/^vidcache; /);
      expect(ready.details.cache.redis.state).toBe('disabled');
      expect(service.logs).toContain('memory-only');
    } finally {
      await service.stop();
    }
  }, 180_000);

  it.each([
    ['CACHE_L2_TIMEOUT_MS', '-5'],
    ['REDIS_URL', 'http://example'],
    ['DATABASE_URL', 'mysql://x'],
    ['WARMUP_ON_BOOT', 'maybe'],
  ])('stops at start-up with one line naming %s=%s', (name, value) => {
    const run = spawnSync(process.execPath, ['dist/main.js'], {
      cwd: ROOT,
      env: { ...process.env, [name]: value, PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
  });
});
