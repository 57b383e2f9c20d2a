import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './paths.js';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that the summary reads. */
interface CpuProfile {
  /** Microseconds on the system's monotonic clock, the clock of `process.hrtime` in every process. */
  startTime: number;
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  /** `functionName (file:line)`, with paths relative to the repository. */
  readonly fn: string;
  readonly selfMs: number;
  /** Share of all samples, idle and GC included. */
  readonly selfShare: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly top: readonly ProfileEntry[];
  /** Self time by who owns the code: a package, a folder of src/, Node, or native work. */
  readonly byOwner: readonly { readonly owner: string; readonly selfShare: number }[];
}

/** Who owns a frame: `src/cache`, a package name, `node`, or what V8 calls it (`(garbage collector)`). */
function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'native (syscalls, builtins)';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node';
  const own = /\/dist\/bench\/(src\/[^/]+|bench|test)\//.exec(url);
  if (own) return own[1] === 'bench' || own[1] === 'test' ? 'bench harness' : own[1]!;
  return 'other';
}

const location = (url: string, line: number) => {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const shown = path.startsWith(REPO_ROOT) ? relative(REPO_ROOT, path) : path;
  return ` (${shown.replace(/^dist\/bench\//, '')}:${line + 1})`;
};

/** The current time on the clock of `.cpuprofile` timestamps (µs), to mark a window to summarise. */
export const profileClockUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time per function: each sample is charged to the function on top of the stack, for the
 * time until the next sample. Functions are grouped by name and place, so the many nodes of one
 * function (one per distinct caller) add up. With a window (µs, see {@link profileClockUs}, which
 * any process can read), only the samples taken inside it count: start-up is left out.
 */
export function summarizeCpuProfile(
  file: string,
  window?: readonly [startUs: number, endUs: number],
  limit = 15,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nameOf = new Map<number, string>();
  const ownerOfNode = new Map<number, string>();
  for (const { id, callFrame } of profile.nodes) {
    ownerOfNode.set(id, ownerOf(callFrame.url, callFrame.functionName));
    nameOf.set(
      id,
      `${callFrame.functionName || '(anonymous)'}${location(callFrame.url, callFrame.lineNumber)}`,
    );
  }
  const selfUs = new Map<string, number>();
  const ownerUs = new Map<string, number>();
  let totalUs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time *before* sample i; the time spent in sample i is the next delta.
    at += profile.timeDeltas[i]!;
    if (window && (at < window[0] || at > window[1])) continue;
    const us = profile.timeDeltas[i + 1] ?? 0;
    const name = nameOf.get(profile.samples[i]!) ?? '(unknown)';
    selfUs.set(name, (selfUs.get(name) ?? 0) + us);
    const owner = ownerOfNode.get(profile.samples[i]!) ?? 'other';
    ownerUs.set(owner, (ownerUs.get(owner) ?? 0) + us);
    totalUs += us;
  }
  const top = [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([fn, us]) => ({ fn, selfMs: us / 1000, selfShare: totalUs === 0 ? 0 : us / totalUs }));
  const byOwner = [...ownerUs]
    .sort((a, b) => b[1] - a[1])
    .map(([owner, us]) => ({ owner, selfShare: totalUs === 0 ? 0 : us / totalUs }));
  return { totalMs: totalUs / 1000, top, byOwner };
}
