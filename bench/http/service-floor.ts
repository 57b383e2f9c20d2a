import 'reflect-metadata';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../lib/paths.js';

// The service's own build (what `npm start` runs), not the bench's compiled copy of the sources.
const fromBuild = <T>(path: string) =>
  import(pathToFileURL(join(REPO_ROOT, 'dist', path)).href) as Promise<T>;
const { appConfigOf, createApp } = await fromBuild<typeof import('../../src/app.setup.js')>('app.setup.js');
const { validateAllConfig } = await fromBuild<typeof import('../../src/config/index.js')>('config/index.js');
const { ReplyBatch } = await fromBuild<typeof import('../../src/cache/hit-lane.js')>('cache/hit-lane.js');

/**
 * A labelled diagnostic, not the service users run: the service's application, built by the same
 * `createApp` as `src/main.ts` with the same defaults, plus one route, `GET /floor/:id`, that answers
 * `BENCH_CONSTANT_JSON` (serialized once) from an `onRequest` hook without touching the cache, sent
 * as the hit lane sends an L1 hit (its `ReplyBatch`). The
 * service's global hooks (request id, protocol checks, metrics, `Cache-Status`) run around it as
 * around every route. Compared with the bare app's `lane-floor` route, it shows what the service's
 * process costs a request that does no cache work. The bench also reads `GET /videos/:id` (L1 hits)
 * from this same process: the difference between the two is the L1-hit route's own work, measured
 * in one process (a process's speed differs from another's by run).
 */
const configError = validateAllConfig();
if (configError) throw new Error(configError);
const body = process.env.BENCH_CONSTANT_JSON;
if (!body) throw new Error('service floor: BENCH_CONSTANT_JSON is required');

const app = await createApp();
// Sent as the hit lane sends an L1 hit: together with the turn's other answers, with a `Cache-Status`.
const batch = new ReplyBatch((error) => console.error(error));
app
  .getHttpAdapter()
  .getInstance()
  .route({
    method: 'GET',
    url: '/floor/:id',
    onRequest: (_request, reply) => batch.add(reply, body),
    handler: () => body,
  });
const { port, host } = appConfigOf(app);
await app.listen(port, host);
