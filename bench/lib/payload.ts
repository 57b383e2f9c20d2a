/** The value cached by the in-process and Redis sections: shaped like a video, about 1 KB as JSON. */
export interface BenchItem {
  readonly id: string;
  readonly userId: string;
  readonly title: string;
  readonly description: string;
  readonly category: string;
  readonly tags: readonly string[];
  readonly durationSec: number;
  readonly status: string;
  readonly viewCount: number;
  readonly likeCount: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const WORDS = [
  'render',
  'prompt',
  'camera',
  'sunset',
  'studio',
  'motion',
  'texture',
  'ambient',
  'neural',
  'storyboard',
  'lighting',
  'timelapse',
] as const;

/** Deterministic text of about `length` characters (varied enough that compression is realistic). */
function text(seed: number, length: number): string {
  let out = '';
  let state = seed * 2_654_435_761;
  while (out.length < length) {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    out += `${WORDS[state % WORDS.length]} ${state % 997} `;
  }
  return out.slice(0, length);
}

export function benchItem(n: number): BenchItem {
  return {
    id: `vid_${String(n).padStart(6, '0')}`,
    userId: `usr_${String((n * 7) % 1000).padStart(6, '0')}`,
    title: `Generated clip ${n}: ${text(n, 48)}`,
    description: text(n + 1, 560),
    category: ['music', 'gaming', 'education', 'travel'][n % 4]!,
    tags: [text(n + 2, 12), text(n + 3, 10), text(n + 4, 14)],
    durationSec: 30 + (n % 3600),
    status: 'ready',
    viewCount: n * 31,
    likeCount: n * 3,
    createdAt: new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString(),
    updatedAt: new Date(Date.UTC(2025, 5, 1) + n * 60_000).toISOString(),
  };
}

/** A list of items whose JSON is at least `bytes` long: the values of the codec section. */
export function payloadOfSize(bytes: number): BenchItem[] {
  const items: BenchItem[] = [];
  let size = 2;
  while (size < bytes) {
    const item = benchItem(items.length + 1);
    items.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return items;
}
