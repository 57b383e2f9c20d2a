/**
 * The hashes of the entries a slice evicted most recently, as many (and as many bytes) as the
 * slice itself holds: the part a slice twice as large would still have held. A miss on a ghost is
 * a read that the larger slice would have answered, so
 *
 *     hit ratio at 2× ≈ (hits + ghost hits) / lookups.
 *
 * For LRU this is what a cache of twice the size would do (a larger LRU holds a superset of a
 * smaller one); for W-TinyLFU, which keeps the frequent entries, it is an estimate that errs low.
 * A ring of hashes and a map from hash to its slot: bounded, and nothing allocated per eviction
 * beyond the map's own entry.
 */
export class GhostList {
  /** Misses, and the misses on a ghost, since the slice was created. (Hits are counted by the slice.) */
  misses = 0;
  ghostHits = 0;

  private readonly hashes: Int32Array;
  private readonly sizes: Float64Array;
  /** Hash → the sequence number of its newest slot; a slot whose sequence differs is dead. */
  private readonly live = new Map<number, number>();
  private head = 0;
  private count = 0;
  private sequence = 0;
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {
    this.hashes = new Int32Array(Math.max(1, maxEntries));
    this.sizes = new Float64Array(Math.max(1, maxEntries));
  }

  /** An entry was evicted under memory pressure. */
  add(hash: number, size: number): void {
    if (size > this.maxBytes) return;
    while (this.count === this.hashes.length || (this.count > 0 && this.bytes + size > this.maxBytes))
      this.removeOldest();
    const slot = (this.head + this.count) % this.hashes.length;
    this.hashes[slot] = hash;
    this.sizes[slot] = size;
    this.count++;
    this.bytes += size;
    this.live.set(hash, this.sequence + this.count - 1);
  }

  /** A miss: counts a ghost hit if the key was evicted recently, and forgets the ghost. */
  missed(hash: number): boolean {
    this.misses++;
    if (!this.live.delete(hash)) return false;
    this.ghostHits++;
    return true;
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.live.clear();
    this.sequence += this.count;
    this.head = this.count = this.bytes = 0;
  }

  private removeOldest(): void {
    const hash = this.hashes[this.head];
    if (this.live.get(hash) === this.sequence) this.live.delete(hash);
    this.bytes -= this.sizes[this.head];
    this.head = (this.head + 1) % this.hashes.length;
    this.sequence++;
    this.count--;
  }
}
