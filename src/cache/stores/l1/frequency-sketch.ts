/**
 * How often each key was seen recently, in about ten bytes per cached entry: the frequency filter
 * that decides whether a newcomer deserves a victim's place.
 *
 * - A **count-min sketch** of 4-bit counters (0–15), eight to a 32-bit word. Each key maps to
 *   four counters, one per row; its estimate is the smallest of them, so collisions can only
 *   inflate an estimate, never lose a popular key. Fifteen is enough: admission only compares two
 *   keys, and past fifteen both are hot.
 * - A **doorkeeper**, a Bloom filter in front of the sketch: a key's first sighting in a period
 *   only sets its bits, and only later sightings reach the counters. Most keys of a skewed stream
 *   are seen once; keeping them out of the counters keeps the counters of the others accurate.
 * - **Aging**: after `sampleSize` recorded sightings every counter is halved and the doorkeeper
 *   cleared, so what was popular an hour ago fades and a new favourite can win its place.
 *
 * Every operation works on a 32-bit hash the caller computed once ({@link hashKey}), so a cache hit,
 * which already holds its key's hash, records the sighting without hashing or allocating.
 */
export class FrequencySketch {
  /** Halving happens after this many sightings: ten per entry the cache can hold. */
  readonly sampleSize: number;
  /** Sightings since the last halving (after it, half of them, as the counters were halved). */
  additions = 0;
  /** How many times the counters were halved. */
  halvings = 0;
  /** Changes at every halving (never 0): lets a caller remember that a key's counters were full. */
  epoch = 1;

  /** Four rows of 4-bit counters, eight to a 32-bit word. */
  private readonly table: Uint32Array;
  /** Counters per row, minus one (a power of two). */
  private readonly rowMask: number;
  private readonly rowBits: number;
  /** One 32-bit word per key holds both of its doorkeeper bits. */
  private readonly doorkeeper: Uint32Array;
  private readonly doorMask: number;

  /** @param capacity entries of the cache this sketch serves */
  constructor(capacity: number) {
    const entries = Math.max(16, capacity);
    // Sixteen counters (eight bytes) per entry, in four independent rows: a cold key inherits a
    // hot key's count only if it collides with hot keys in all four rows at once.
    const row = nextPowerOfTwo(entries) * 4;
    this.rowMask = row - 1;
    this.rowBits = Math.log2(row);
    this.table = new Uint32Array(row / 2);
    this.sampleSize = 10 * entries;
    // The doorkeeper sees each distinct key of a sample period once; a bit per expected sighting
    // keeps its false positives (a first sighting taken for a second) rare.
    const doorWords = Math.max(1, nextPowerOfTwo(this.sampleSize) >>> 5);
    this.doorMask = doorWords - 1;
    this.doorkeeper = new Uint32Array(doorWords);
  }

  /**
   * Records one sighting of a key. Returns false when there was nothing to record: the key's
   * counters are all at 15 and stay there until the next halving (a new {@link epoch}).
   */
  increment(hash: number): boolean {
    // The doorkeeper: a key's first sighting of the period only sets its two bits.
    const door = Math.imul(hash, 0x45d9f3b);
    const doorWord = (door ^ (door >>> 16)) & this.doorMask;
    const doorBits = (1 << (door >>> 27)) | (1 << ((door >>> 22) & 31));
    const seen = this.doorkeeper[doorWord]!;
    if ((seen & doorBits) !== doorBits) {
      this.doorkeeper[doorWord] = seen | doorBits;
    } else {
      // One counter per row, each at an index from its own remix of the hash.
      const table = this.table;
      const mask = this.rowMask;
      const bits = this.rowBits;
      const i0 = rowIndex(hash, 0x9e3779b1, mask);
      const i1 = rowIndex(hash, 0x85ebca77, mask) | (1 << bits);
      const i2 = rowIndex(hash, 0xc2b2ae3d, mask) | (2 << bits);
      const i3 = rowIndex(hash, 0x27d4eb2f, mask) | (3 << bits);
      let added = false;
      if (((table[i0 >>> 3]! >>> ((i0 & 7) << 2)) & 0xf) < 15) {
        table[i0 >>> 3]! += 1 << ((i0 & 7) << 2);
        added = true;
      }
      if (((table[i1 >>> 3]! >>> ((i1 & 7) << 2)) & 0xf) < 15) {
        table[i1 >>> 3]! += 1 << ((i1 & 7) << 2);
        added = true;
      }
      if (((table[i2 >>> 3]! >>> ((i2 & 7) << 2)) & 0xf) < 15) {
        table[i2 >>> 3]! += 1 << ((i2 & 7) << 2);
        added = true;
      }
      if (((table[i3 >>> 3]! >>> ((i3 & 7) << 2)) & 0xf) < 15) {
        table[i3 >>> 3]! += 1 << ((i3 & 7) << 2);
        added = true;
      }
      if (!added) return false;
    }
    if (++this.additions >= this.sampleSize) this.halve();
    return true;
  }

  /** The estimated number of sightings of a key in the current period (0–16). */
  frequency(hash: number): number {
    const table = this.table;
    const mask = this.rowMask;
    const bits = this.rowBits;
    const counter = (index: number) => (table[index >>> 3]! >>> ((index & 7) << 2)) & 0xf;
    const c0 = counter(rowIndex(hash, 0x9e3779b1, mask));
    const c1 = counter(rowIndex(hash, 0x85ebca77, mask) | (1 << bits));
    const c2 = counter(rowIndex(hash, 0xc2b2ae3d, mask) | (2 << bits));
    const c3 = counter(rowIndex(hash, 0x27d4eb2f, mask) | (3 << bits));
    const door = Math.imul(hash, 0x45d9f3b);
    const doorBits = (1 << (door >>> 27)) | (1 << ((door >>> 22) & 31));
    const seen = (this.doorkeeper[(door ^ (door >>> 16)) & this.doorMask]! & doorBits) === doorBits;
    return Math.min(c0, c1, c2, c3) + (seen ? 1 : 0);
  }

  /** Ages every count: counters halve, the doorkeeper forgets. */
  halve(): void {
    const table = this.table;
    let odd = 0;
    for (let i = 0; i < table.length; i++) {
      const word = table[i]!;
      odd += popcount(word & 0x11111111);
      // Shift every nibble right by one; the mask drops the bit that crossed into its neighbour.
      table[i] = (word >>> 1) & 0x77777777;
    }
    this.doorkeeper.fill(0);
    // Halving truncates odd counters: subtract their lost halves so `additions` stays honest.
    this.additions = Math.max(0, (this.additions - (odd >>> 2)) >>> 1);
    this.halvings++;
    this.epoch = (this.epoch % 0x7fffffff) + 1;
  }

  clear(): void {
    this.table.fill(0);
    this.doorkeeper.fill(0);
    this.additions = 0;
    this.epoch = (this.epoch % 0x7fffffff) + 1;
  }
}

/** A counter's index within its row: the hash remixed by the row's odd multiplier, high bits folded in. */
function rowIndex(hash: number, multiplier: number, mask: number): number {
  const h = Math.imul(hash, multiplier);
  return (h ^ (h >>> 15)) & mask;
}

function popcount(n: number): number {
  n = n - ((n >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (Math.imul((n + (n >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export function nextPowerOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

/**
 * A 32-bit hash of a key (FNV-1a over UTF-16 units, then a murmur finaliser so that keys that
 * differ only in their last characters still spread over every bit). Computed once per stored
 * entry, and on a miss; never on a hit.
 */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
