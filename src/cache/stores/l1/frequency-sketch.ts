/**
 * How often each key was seen recently, in about eight bytes per cached entry: the frequency filter
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

  private readonly table: Uint32Array;
  /** Counters per row, minus one (a power of two). */
  private readonly rowMask: number;
  private readonly doorkeeper: Uint32Array;
  private readonly doorMask: number;

  /** @param capacity entries of the cache this sketch serves */
  constructor(capacity: number) {
    const entries = Math.max(16, capacity);
    // Four rows of 4 × nextPow2(entries) counters each: sixteen counters (eight bytes) per entry, few
    // enough collisions that a cold key rarely inherits a hot key's count.
    const row = nextPowerOfTwo(entries) * 4;
    this.rowMask = row - 1;
    this.table = new Uint32Array((row * 4) / 8);
    this.sampleSize = 10 * entries;
    // The doorkeeper sees each distinct key of a sample period once; a bit per expected sighting
    // keeps its false positives (a first sighting taken for a second) rare.
    const doorBits = nextPowerOfTwo(this.sampleSize);
    this.doorMask = doorBits - 1;
    this.doorkeeper = new Uint32Array(Math.max(1, doorBits >>> 5));
  }

  /** Records one sighting of a key. */
  increment(hash: number): void {
    // Two probes into the doorkeeper, from the two halves of a remixed hash.
    const mixed = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
    const a = mixed & this.doorMask;
    const b = ((mixed >>> 16) | (mixed << 16)) & this.doorMask;
    const door = this.doorkeeper;
    const bitA = 1 << (a & 31);
    const bitB = 1 << (b & 31);
    if ((door[a >>> 5] & bitA) === 0 || (door[b >>> 5] & bitB) === 0) {
      door[a >>> 5] |= bitA;
      door[b >>> 5] |= bitB;
    } else {
      const table = this.table;
      const mask = this.rowMask;
      const row = mask + 1;
      // Row r uses its own counter index, derived from the hash by a different odd multiplier.
      let added = false;
      for (let r = 0; r < 4; r++) {
        const index = r * row + (rowHash(hash, r) & mask);
        const word = index >>> 3;
        const shift = (index & 7) << 2;
        const value = (table[word] >>> shift) & 0xf;
        if (value < 15) {
          table[word] = table[word] + (1 << shift);
          added = true;
        }
      }
      if (!added) return;
    }
    if (++this.additions >= this.sampleSize) this.halve();
  }

  /** The estimated number of sightings of a key in the current period (0–16). */
  frequency(hash: number): number {
    const table = this.table;
    const mask = this.rowMask;
    const row = mask + 1;
    let min = 15;
    for (let r = 0; r < 4; r++) {
      const index = r * row + (rowHash(hash, r) & mask);
      const value = (table[index >>> 3] >>> ((index & 7) << 2)) & 0xf;
      if (value < min) min = value;
    }
    return min + (this.seenByDoorkeeper(hash) ? 1 : 0);
  }

  /** Ages every count: counters halve, the doorkeeper forgets. */
  halve(): void {
    const table = this.table;
    let odd = 0;
    for (let i = 0; i < table.length; i++) {
      const word = table[i];
      odd += popcount(word & 0x11111111);
      // Shift every nibble right by one; the mask drops the bit that crossed into its neighbour.
      table[i] = (word >>> 1) & 0x77777777;
    }
    this.doorkeeper.fill(0);
    // Halving truncates odd counters: subtract their lost halves so `additions` stays honest.
    this.additions = Math.max(0, (this.additions - (odd >>> 2)) >>> 1);
    this.halvings++;
  }

  clear(): void {
    this.table.fill(0);
    this.doorkeeper.fill(0);
    this.additions = 0;
  }

  private seenByDoorkeeper(hash: number): boolean {
    const mixed = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
    const a = mixed & this.doorMask;
    const b = ((mixed >>> 16) | (mixed << 16)) & this.doorMask;
    const door = this.doorkeeper;
    return (door[a >>> 5] & (1 << (a & 31))) !== 0 && (door[b >>> 5] & (1 << (b & 31))) !== 0;
  }
}

const ROW_SEEDS = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f] as const;

/** The hash for row `r`: the key's hash remixed with that row's multiplier, high bits folded down. */
function rowHash(hash: number, r: number): number {
  const h = Math.imul(hash, ROW_SEEDS[r as 0 | 1 | 2 | 3]);
  return h ^ (h >>> 15);
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
