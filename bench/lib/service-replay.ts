import { APP_CACHE_NAMESPACES } from '../../src/app.cache-namespaces.js';
import type { CachePolicyOptions, L1Eviction } from '../../src/cache/cache-policy.js';
import { ID_PREFIX } from '../../src/database/database.constants.js';
import { seedId } from '../../src/database/ids.js';
import { VIDEO_NAMESPACE } from '../../src/videos/videos.constants.js';
import type { Trace } from './traces.js';

/**
 * Policies that give the whole of L1 to `namespace` (and none to the service's other namespaces),
 * so that its slice holds exactly L1's `maxEntries`.
 */
export function soleNamespacePolicies(
  namespace: string,
  policy: CachePolicyOptions,
): Record<string, CachePolicyOptions> {
  const others = Object.fromEntries(Object.keys(APP_CACHE_NAMESPACES).map((name) => [name, { l1Share: 0 }]));
  return { ...others, [namespace]: { ...policy, l1Share: 1 } };
}

/** The service's configuration for a video L1 of exactly `capacity` entries evicting by `eviction`. */
export const videoL1Env = (eviction: L1Eviction, capacity: number): Record<string, string> => ({
  CACHE_L1_MAX_ENTRIES: String(capacity),
  CACHE_POLICIES: JSON.stringify(soleNamespacePolicies(VIDEO_NAMESPACE, { eviction })),
});

/** One `GET /videos/:id` as the client saw it. */
export interface VideoReadAnswer {
  readonly status: number;
  /** The `Cache-Status` header, if any. */
  readonly cacheStatus: string | undefined;
}

/** Sends `GET /videos/<id>` to the service, by HTTP or by Fastify's inject. */
export type VideoRead = (videoId: string) => Promise<VideoReadAnswer>;

/** The reads of a span of a trace, by the tier that answered them (`Cache-Status`). */
export interface ServiceReads {
  reads: number;
  l1: number;
  l2: number;
  stale: number;
  /** Loaded from the database (`fwd=miss`). */
  source: number;
  /** Anything else (`fwd=bypass`, no header). */
  other: number;
}

/** A trace key as a seeded video: key 0 is `vid_000001`. */
export const traceVideoId = (key: number) => seedId(ID_PREFIX.video, key + 1);

/** The tier named by a `Cache-Status` value (`vidcache; hit; detail=l1`, `vidcache; fwd=miss; stored`). */
function tierOf(cacheStatus: string | undefined): Exclude<keyof ServiceReads, 'reads'> {
  const detail = /;\s*detail=(l1|l2|stale)\b/.exec(cacheStatus ?? '')?.[1];
  if (detail === 'l1' || detail === 'l2' || detail === 'stale') return detail;
  return /;\s*fwd=miss\b/.test(cacheStatus ?? '') ? 'source' : 'other';
}

/**
 * Reads the trace's ops `from` (inclusive) to `to` (exclusive) through the service, in trace order,
 * `concurrency` at a time (each worker takes the next op when its read is answered), and counts
 * the answers by tier. Every read must answer 200: the trace's keys are seeded videos. Writes are
 * not part of these traces.
 */
export async function replayThroughService(
  trace: Trace,
  read: VideoRead,
  span: { from: number; to: number; concurrency: number },
): Promise<ServiceReads> {
  const counts: ServiceReads = { reads: 0, l1: 0, l2: 0, stale: 0, source: 0, other: 0 };
  let next = span.from;
  const worker = async () => {
    for (let i = next++; i < span.to; i = next++) {
      const op = trace.ops[i]!;
      if (op < 0) throw new Error(`service replay: op ${i} is a write; only reads are replayed`);
      const id = traceVideoId(op);
      const answer = await read(id);
      if (answer.status !== 200)
        throw new Error(`service replay: GET /videos/${id} answered ${answer.status}`);
      counts.reads++;
      counts[tierOf(answer.cacheStatus)]++;
    }
  };
  await Promise.all(Array.from({ length: span.concurrency }, worker));
  return counts;
}
