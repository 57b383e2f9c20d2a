/** The region an entry is in. */
export const Region = { Window: 0, Probation: 1, Protected: 2 } as const;
export type Region = (typeof Region)[keyof typeof Region];

/** The limits of one region, in entries and in bytes. */
export interface RegionLimits {
  readonly entries: number;
  readonly bytes: number;
}

/**
 * The three regions of a W-TinyLFU slice as LRU lists over slot numbers: circular doubly linked
 * lists in typed arrays, with each region's entry count and bytes kept as entries move. The index
 * decides who moves where; this only keeps the order and the totals, allocating nothing.
 */
export class RegionLists {
  readonly regionOf: Uint8Array;
  /** Entries and bytes per region, indexed by {@link Region}. */
  readonly entries = new Int32Array(3);
  readonly bytes = new Float64Array(3);
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  /** Sentinel slot of each region's list: `next` of it is the LRU end, `prev` the MRU end. */
  private readonly heads: readonly [number, number, number];

  /** `sizeOf` is the index's own array of entry sizes, read when an entry moves between regions. */
  constructor(
    private readonly slots: number,
    private readonly sizeOf: Float64Array,
  ) {
    this.regionOf = new Uint8Array(slots);
    this.prev = new Int32Array(slots + 3);
    this.next = new Int32Array(slots + 3);
    this.heads = [slots, slots + 1, slots + 2];
    for (const head of this.heads) this.prev[head] = this.next[head] = head;
  }

  /** The region's least recent entry, or -1 when it is empty. */
  first(region: Region): number {
    const head = this.heads[region];
    const first = this.next[head];
    return first === head ? -1 : first;
  }

  /** The next more recent entry of the same region, or -1 at its MRU end. */
  after(slot: number): number {
    const next = this.next[slot];
    return next >= this.slots ? -1 : next;
  }

  /** Appends a slot at the region's MRU end. */
  link(slot: number, region: Region): void {
    const head = this.heads[region];
    const last = this.prev[head];
    this.next[last] = slot;
    this.prev[slot] = last;
    this.next[slot] = head;
    this.prev[head] = slot;
    this.regionOf[slot] = region;
    this.entries[region]++;
    this.bytes[region] += this.sizeOf[slot];
  }

  unlink(slot: number): void {
    const region = this.regionOf[slot] as Region;
    const before = this.prev[slot];
    const after = this.next[slot];
    this.next[before] = after;
    this.prev[after] = before;
    this.entries[region]--;
    this.bytes[region] -= this.sizeOf[slot];
  }

  /** Moves a slot to its region's MRU end (the hit path: two links, no counter). */
  moveToMru(slot: number, region: Region): void {
    const head = this.heads[region];
    if (this.prev[head] === slot) return;
    const before = this.prev[slot];
    const after = this.next[slot];
    this.next[before] = after;
    this.prev[after] = before;
    const last = this.prev[head];
    this.next[last] = slot;
    this.prev[slot] = last;
    this.next[slot] = head;
    this.prev[head] = slot;
  }
}
