import { SeededRandom, ZipfSampler } from '../../src/database/seed-random.js';

/**
 * A key-access trace for cache-policy simulation: key ids, a write as (−id − 1) (it invalidates
 * the key), and the index from which hits are counted (what comes before only warms the cache).
 */
export interface Trace {
  readonly name: string;
  readonly ops: Int32Array;
  readonly measureFrom: number;
  /** Distinct key ids are below this. */
  readonly keySpace: number;
  /**
   * The keys from most to least likely to be read, when the generator knows it (Zipf). The
   * frequency oracle then holds the truly most popular keys, not those a short sample happened to
   * read most (which would credit it with foreknowledge of the sample's noise).
   */
  readonly popularity?: Int32Array;
}

const isWrite = (op: number) => op < 0;
const keyOf = (op: number) => (op < 0 ? -op - 1 : op);

/** Zipf(`exponent`) reads over `keys` keys; optionally a one-off crawl of cold keys between the phases. */
export function zipfTrace(options: {
  keys: number;
  exponent: number;
  warmup: number;
  measured: number;
  crawl: number;
  seed: number;
}): Trace {
  const { keys, exponent, warmup, measured, crawl } = options;
  const random = new SeededRandom(options.seed);
  const zipf = new ZipfSampler(keys, exponent, random);
  // Rank → key, so the popular keys are not the low ids (a hash function must not be favoured).
  const keyOfRank = random.permutation(keys);
  const ops = new Int32Array(warmup + crawl + measured);
  let i = 0;
  for (let n = 0; n < warmup; n++) ops[i++] = keyOfRank[zipf.sample()]!;
  // The crawl reads keys outside the Zipf population, once each: a crawler, an export, a warm-up.
  for (let n = 0; n < crawl; n++) ops[i++] = keys + n;
  const measureFrom = i;
  for (let n = 0; n < measured; n++) ops[i++] = keyOfRank[zipf.sample()]!;
  return {
    name: `Zipf(${exponent}) over ${keys} keys${crawl > 0 ? `, crawl of ${crawl} cold keys` : ''}`,
    ops,
    measureFrom,
    keySpace: keys + crawl,
    popularity: keyOfRank,
  };
}

/** The same `length` keys read in a loop, again and again: LRU's worst case when the loop outgrows it. */
export function loopTrace(length: number, total: number): Trace {
  const ops = new Int32Array(total);
  for (let i = 0; i < total; i++) ops[i] = i % length;
  return { name: `loop over ${length} keys`, ops, measureFrom: length, keySpace: length };
}

/**
 * Recency-biased reads: most reads go back to a key read recently (at an LRU stack distance drawn
 * from a geometric distribution of mean `meanDistance`), the rest are keys never seen before. This
 * is the case LRU is made for: what was read last is what is read next, whatever its count.
 */
export function recencyTrace(options: {
  total: number;
  reuse: number;
  meanDistance: number;
  seed: number;
}): Trace {
  const { total, reuse, meanDistance } = options;
  const random = new SeededRandom(options.seed);
  const stack: number[] = [];
  const depth = meanDistance * 12;
  const ops = new Int32Array(total);
  let fresh = 0;
  for (let i = 0; i < total; i++) {
    let key: number;
    const distance = Math.floor(Math.log(1 - random.next()) / Math.log(1 - 1 / meanDistance));
    if (stack.length > distance && random.next() < reuse) {
      key = stack[distance]!;
      stack.splice(distance, 1);
    } else {
      key = fresh++;
    }
    stack.unshift(key);
    if (stack.length > depth) stack.length = depth;
    ops[i] = key;
  }
  return {
    name: `recency-biased (${Math.round(reuse * 100)}% reuse at mean stack distance ${meanDistance})`,
    ops,
    measureFrom: Math.floor(total / 5),
    keySpace: fresh,
  };
}

/** The bench's workload replay (Zipf reads with a share of writes), from its own generator. */
export function replayTrace(ops: Int32Array, keys: number, warmup: number): Trace {
  return {
    name: `workload replay (${keys} videos, writes invalidate)`,
    ops,
    measureFrom: warmup,
    keySpace: keys,
  };
}

/**
 * The frequency oracle: a static cache holding the `capacity` most popular keys, known in advance:
 * the trace's own popularity ranking where it has one, else the keys read most often in its
 * measured part. On a stationary skewed stream this is the best an online policy can approach; a
 * write makes the next read of its key a miss.
 */
export function frequencyOracle(trace: Trace, capacity: number): number {
  const top = new Uint8Array(trace.keySpace);
  const ranking = trace.popularity ?? keysByMeasuredReads(trace);
  for (let i = 0; i < Math.min(capacity, ranking.length); i++) top[ranking[i]!] = 1;
  const invalid = new Uint8Array(trace.keySpace);
  let hits = 0;
  let reads = 0;
  for (let i = 0; i < trace.ops.length; i++) {
    const op = trace.ops[i]!;
    const key = keyOf(op);
    if (isWrite(op)) {
      invalid[key] = 1;
      continue;
    }
    const hit = top[key] === 1 && invalid[key] === 0;
    invalid[key] = 0;
    if (i < trace.measureFrom) continue;
    reads++;
    if (hit) hits++;
  }
  return hits / reads;
}

/** Key ids by how often the measured part of the trace reads them, most read first. */
function keysByMeasuredReads(trace: Trace): number[] {
  const counts = new Int32Array(trace.keySpace);
  for (let i = trace.measureFrom; i < trace.ops.length; i++) {
    const op = trace.ops[i]!;
    if (!isWrite(op)) counts[op]!++;
  }
  return Array.from(counts.keys()).sort((a, b) => counts[b]! - counts[a]!);
}

/**
 * Bélády's optimum: on a miss, evict the key read furthest in the future, or do not store the
 * newcomer if it is that key. No policy can do better at this capacity. A write drops its key, so
 * a key's "next read" is infinitely far when a write comes first.
 */
export function belady(trace: Trace, capacity: number): number {
  const { ops } = trace;
  const never = ops.length;
  // The index of the next read of the same key, or `never`.
  const nextRead = new Int32Array(ops.length);
  const upcoming = new Int32Array(trace.keySpace).fill(never);
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    const key = keyOf(op);
    if (isWrite(op)) {
      upcoming[key] = never;
      nextRead[i] = never;
    } else {
      nextRead[i] = upcoming[key]!;
      upcoming[key] = i;
    }
  }
  // Cached keys with their next read; a max-heap on next read, stale heap rows skipped lazily.
  const cachedNext = new Int32Array(trace.keySpace).fill(-1);
  const heap = new MaxHeap(ops.length);
  let size = 0;
  let hits = 0;
  let reads = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const key = keyOf(op);
    if (isWrite(op)) {
      if (cachedNext[key] !== -1) {
        cachedNext[key] = -1;
        size--;
      }
      continue;
    }
    const measured = i >= trace.measureFrom;
    if (measured) reads++;
    if (cachedNext[key] !== -1) {
      if (measured) hits++;
      cachedNext[key] = nextRead[i]!;
      heap.push(nextRead[i]!, key);
      continue;
    }
    if (size === capacity) {
      // Find the cached key read furthest ahead (skipping heap rows that are out of date).
      while (cachedNext[heap.topKey()] !== heap.topPriority()) heap.pop();
      if (heap.topPriority() <= nextRead[i]!) continue; // the newcomer is the furthest: not stored
      cachedNext[heap.topKey()] = -1;
      heap.pop();
      size--;
    }
    cachedNext[key] = nextRead[i]!;
    heap.push(nextRead[i]!, key);
    size++;
  }
  return hits / reads;
}

/** A binary max-heap of (priority, key) pairs in typed arrays; grows as needed. */
class MaxHeap {
  private priorities: Int32Array;
  private keys: Int32Array;
  private length = 0;

  constructor(initial: number) {
    this.priorities = new Int32Array(Math.max(16, initial));
    this.keys = new Int32Array(Math.max(16, initial));
  }

  topPriority(): number {
    return this.priorities[0]!;
  }

  topKey(): number {
    return this.keys[0]!;
  }

  push(priority: number, key: number): void {
    if (this.length === this.priorities.length) {
      const priorities = new Int32Array(this.length * 2);
      priorities.set(this.priorities);
      this.priorities = priorities;
      const keys = new Int32Array(this.length * 2);
      keys.set(this.keys);
      this.keys = keys;
    }
    let i = this.length++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.priorities[parent]! >= priority) break;
      this.priorities[i] = this.priorities[parent]!;
      this.keys[i] = this.keys[parent]!;
      i = parent;
    }
    this.priorities[i] = priority;
    this.keys[i] = key;
  }

  pop(): void {
    const last = --this.length;
    const priority = this.priorities[last]!;
    const key = this.keys[last]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      if (child + 1 < last && this.priorities[child + 1]! > this.priorities[child]!) child++;
      if (this.priorities[child]! <= priority) break;
      this.priorities[i] = this.priorities[child]!;
      this.keys[i] = this.keys[child]!;
      i = child;
    }
    this.priorities[i] = priority;
    this.keys[i] = key;
  }
}
