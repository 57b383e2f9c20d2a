import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * Loaded with `--import` into the service the bench profiles. The service stops through Nest's
 * shutdown hooks, which end the process by re-raising the signal, so `--cpu-prof` (written at a
 * normal exit) would write nothing; this profiles through the inspector instead and writes the
 * profile to `BENCH_CPU_PROFILE` on SIGUSR2, a signal the service does not use.
 */
const file = process.env.BENCH_CPU_PROFILE;
if (file) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  process.once('SIGUSR2', () => {
    void session.post('Profiler.stop').then(({ profile }) => {
      // Renamed into place, so whoever waits for the file never reads half of it.
      writeFileSync(`${file}.part`, JSON.stringify(profile));
      renameSync(`${file}.part`, file);
    });
  });
}
