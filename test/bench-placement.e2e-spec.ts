import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parsePinMode, serverCommand, withPlacement } from '../bench/lib/placement.js';

/**
 * The bench's HTTP section runs its load generator on CPU 0 and every server on CPU 1
 * (bench/lib/placement.ts). Checked here with the real `taskset`, on this process and a child.
 */
const allowedCpus = (status: string) => /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1];
const ownCpus = () => allowedCpus(readFileSync('/proc/self/status', 'utf8'));
/** The CPUs a process started as the bench starts its servers may run on. */
const serverCpus = () => {
  const [command, args] = serverCommand([
    process.execPath,
    '-e',
    "process.stdout.write(require('fs').readFileSync('/proc/self/status', 'utf8'))",
  ]);
  return allowedCpus(execFileSync(command, args, { encoding: 'utf8' }));
};

describe('bench placement (BENCH_PIN)', () => {
  it('reads auto, on and off, and names a wrong value', () => {
    expect(parsePinMode(undefined)).toBe('auto');
    expect(parsePinMode('')).toBe('auto');
    expect(parsePinMode('on')).toBe('on');
    expect(parsePinMode('off')).toBe('off');
    expect(() => parsePinMode('yes')).toThrow('BENCH_PIN must be auto, on or off (got "yes")');
  });

  it('runs the load generator on CPU 0 and the servers on CPU 1, then gives the CPUs back', async () => {
    // The bench machine and CI have two CPUs; with one, `on` must refuse rather than run unpinned.
    if (availableParallelism() < 2) {
      await expect(withPlacement('on', async () => undefined)).rejects.toThrow('one CPU');
      return;
    }
    const before = ownCpus();
    const seen = await withPlacement('on', async (placement) => ({
      placement,
      own: ownCpus(),
      server: serverCpus(),
    }));
    expect(seen.placement).toEqual({
      client: 0,
      server: 1,
      description: 'load generator on CPU 0, every server on CPU 1 (taskset)',
    });
    expect(seen.own).toBe('0');
    expect(seen.server).toBe('1');
    expect(ownCpus()).toBe(before);
    // Outside the section, a server is started as npm start starts it, on every CPU.
    expect(serverCommand(['node', 'dist/main.js'])).toEqual(['node', ['dist/main.js']]);

    // And when the measurement fails.
    await expect(withPlacement('on', () => Promise.reject(new Error('a round failed')))).rejects.toThrow(
      'a round failed',
    );
    expect(ownCpus()).toBe(before);
    expect(serverCpus()).toBe(before);
  });

  it('pins nothing with BENCH_PIN=off, and says so', async () => {
    const before = ownCpus();
    const seen = await withPlacement('off', async (placement) => ({
      placement,
      own: ownCpus(),
      server: serverCpus(),
    }));
    expect(seen.placement.description).toBe(
      'unpinned (BENCH_PIN=off): servers and load generator share the CPUs',
    );
    expect(seen.own).toBe(before);
    expect(seen.server).toBe(before);
  });
});
