import type { L1Entry } from '../memory.store.js';
import { FrequencySketch, hashKey } from './frequency-sketch.js';
import { HillClimber, WINDOW_SHARE } from './hill-climber.js';
import type { L1Dispose, L1Index } from './l1-index.js';
import { Region, RegionLists, type RegionLimits } from './region-lists.js';
import { TinyLfuAdmission } from './tinylfu-admission.js';

/** The climber moves after this many lookups per entry of the slice. */
export const CLIMB_SAMPLE_PER_ENTRY = 3;
/** Share of the main space kept for entries read again after admission. */
export const PROTECTED_SHARE = 0.8;

/**
 * W-TinyLFU: a slice of L1 that keeps what is read most, not merely what was read last.
 *
 * ```
 *   put ─► [ window: LRU, 1%–99% ] ─overflow─► candidate ─┐
 *                                                         ▼ admitted if seen more often
 *          [ probation: LRU ] ◄── victim (its LRU end) ◄──┘ than the victim, else dropped
 *                │ read again                ▲ demoted when protected is full
 *                ▼                           │
 *          [ protected: LRU, 80% of main ] ──┘
 * ```
 *
 * The window absorbs bursts (a key read twice in quick succession is kept however rare it is), and
 * a hill climber resizes it to the workload (see `climb`). The main space, a segmented LRU, is
 * defended by the frequency sketch, so a scan of cold keys flows through the window and is turned
 * away at the door instead of flushing the hot set.
 *
 * Bounds are exact in entries and in bytes after every call: an entry's bytes count in the region
 * that holds it, and eviction runs until both totals fit. Entries live in parallel arrays indexed
 * by a slot number (links, hashes, sizes), so a hit moves two links and bumps four counters,
 * allocating nothing and hashing nothing: the key's hash was computed once, when it was stored.
 */
export class WTinyLfuIndex implements L1Index {
  readonly sketch: FrequencySketch;
  windowLimits: RegionLimits;
  protectedLimits: RegionLimits;
  /** The window's current share of the slice, moved by the hill climber. */
  windowShare = WINDOW_SHARE;
  /** Lookups since the climber last moved, and how many hit. */
  hitsInSample = 0;
  missesInSample = 0;
  /** The key of the last miss counted, until something is stored (see `get`). */
  private lastMiss: string | undefined;
  private readonly climber = new HillClimber();
  private readonly admission: TinyLfuAdmission;

  private readonly slots = new Map<string, number>();
  private readonly keyOf: (string | undefined)[];
  private readonly entryOf: (L1Entry | undefined)[];
  private readonly hashOf: Int32Array;
  /**
   * The sketch epoch in which the slot's key was found with every counter full (0: not known to
   * be). A hot key saturates within a few reads of each aging period; its later hits in that period
   * would record nothing, so they skip the sketch altogether and cost an array read.
   */
  private readonly saturatedIn: Int32Array;
  private readonly sizeOf: Float64Array;
  private readonly lists: RegionLists;
  /** Free slots, as a stack. */
  private readonly free: Int32Array;
  private freeCount: number;
  private bytes = 0;

  constructor(
    readonly max: number,
    readonly maxSize: number,
    private readonly dispose: L1Dispose,
  ) {
    if (!(max >= 1) || !(maxSize >= 1)) throw new RangeError('W-TinyLFU needs room for at least one entry');
    this.sketch = new FrequencySketch(max);
    this.admission = new TinyLfuAdmission(this.sketch);
    this.windowLimits = this.protectedLimits = { entries: 0, bytes: 0 };
    // One slot more than `max`: a newcomer is linked in before eviction picks who leaves.
    const slots = max + 1;
    this.keyOf = Array.from<string | undefined>({ length: slots });
    this.entryOf = Array.from<L1Entry | undefined>({ length: slots });
    this.hashOf = new Int32Array(slots);
    this.saturatedIn = new Int32Array(slots);
    this.sizeOf = new Float64Array(slots);
    this.lists = new RegionLists(slots, this.sizeOf);
    this.free = new Int32Array(slots);
    for (let i = 0; i < slots; i++) this.free[i] = slots - 1 - i;
    this.freeCount = slots;
    this.resize(WINDOW_SHARE);
  }

  get size(): number {
    return this.slots.size;
  }

  get calculatedSize(): number {
    return this.bytes;
  }

  /** Entries and bytes held per region, for tests and diagnostics. */
  regions(): Record<'window' | 'probation' | 'protected', { entries: number; bytes: number }> {
    const at = (r: Region) => ({ entries: this.lists.entries[r], bytes: this.lists.bytes[r] });
    return { window: at(Region.Window), probation: at(Region.Probation), protected: at(Region.Protected) };
  }

  /** The region a key is in, `undefined` if absent. Does not count as an access. */
  regionOfKey(key: string): Region | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : (this.lists.regionOf[slot] as Region);
  }

  /** The hot path: a hit records the access in the sketch and in its region's order. */
  get(key: string): L1Entry | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) {
      // One read, one miss in the climber's sample: the read-through path probes again a key the
      // hit path has just missed, and reads that join a load in flight miss it too. Counted each
      // time, they made the climber see a read stream that misses more than it does, and size the
      // window for it (a point of hit ratio lost through the service on a skewed stream).
      if (key !== this.lastMiss) {
        this.missesInSample++;
        this.lastMiss = key;
      }
      return undefined;
    }
    this.hitsInSample++;
    const sketch = this.sketch;
    if (this.saturatedIn[slot] !== sketch.epoch && !sketch.increment(this.hashOf[slot]))
      this.saturatedIn[slot] = sketch.epoch;
    this.onAccess(slot);
    return this.entryOf[slot];
  }

  /** The entry, without recording an access: neither the sketch, the regions nor the climber see it. */
  peek(key: string): L1Entry | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.entryOf[slot];
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /**
   * Stores an entry. A new key enters the window; a replaced one keeps its place (a write is an
   * access). Then eviction restores both bounds. An entry larger than the whole slice is refused
   * by the caller before it gets here.
   */
  set(key: string, entry: L1Entry, options: { size: number }): this {
    const size = options.size;
    const existing = this.slots.get(key);
    if (existing !== undefined) {
      const old = this.entryOf[existing]!;
      const region = this.lists.regionOf[existing] as Region;
      this.entryOf[existing] = entry;
      this.bytes += size - this.sizeOf[existing];
      this.lists.bytes[region] += size - this.sizeOf[existing];
      this.sizeOf[existing] = size;
      this.sketch.increment(this.hashOf[existing]);
      this.onAccess(existing);
      this.dispose(old, key, 'set');
    } else {
      const hash = hashKey(key);
      this.sketch.increment(hash);
      const slot = this.free[--this.freeCount];
      this.slots.set(key, slot);
      this.keyOf[slot] = key;
      this.entryOf[slot] = entry;
      this.hashOf[slot] = hash;
      this.saturatedIn[slot] = 0;
      this.sizeOf[slot] = size;
      this.bytes += size;
      this.lists.link(slot, Region.Window);
    }
    this.lastMiss = undefined;
    this.evict();
    // On the write path (a miss), never on a hit.
    if (this.hitsInSample + this.missesInSample >= this.max * CLIMB_SAMPLE_PER_ENTRY) this.climb();
    return this;
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.remove(slot, 'delete');
    return true;
  }

  /** Drops every entry. What the sketch learned stays: the keys are as popular as they were. */
  clear(): void {
    for (const slot of Array.from(this.slots.values())) this.remove(slot, 'delete');
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  /** Frequency of a key as the admission sees it. */
  frequency(key: string): number {
    return this.sketch.frequency(hashKey(key));
  }

  // ---- the policy ----

  /** The window's size follows the hill climber (see {@link HillClimber}) after each sample. */
  private climb(): void {
    const hitRatio = this.hitsInSample / (this.hitsInSample + this.missesInSample);
    this.hitsInSample = this.missesInSample = 0;
    this.resize(this.climber.next(this.windowShare, hitRatio));
  }

  /**
   * Gives the window `share` of the slice and the rest to the main space. A smaller window hands
   * its oldest entries to probation; a larger one takes the main space's least recent entries
   * (probation's first), which must then win their place again when they leave the window.
   */
  private resize(share: number): void {
    this.windowShare = share;
    this.windowLimits = {
      entries: Math.max(1, Math.floor(this.max * share)),
      bytes: Math.max(1, Math.floor(this.maxSize * share)),
    };
    this.protectedLimits = {
      entries: Math.floor((this.max - this.windowLimits.entries) * PROTECTED_SHARE),
      bytes: Math.floor((this.maxSize - this.windowLimits.bytes) * PROTECTED_SHARE),
    };
    this.demoteFromProtected();
    this.evictFromWindow();
    while (
      this.lists.entries[Region.Window] < this.windowLimits.entries &&
      this.lists.bytes[Region.Window] < this.windowLimits.bytes
    ) {
      const from = this.lists.first(Region.Probation) === -1 ? Region.Protected : Region.Probation;
      const lru = this.lists.first(from);
      if (lru === -1) break;
      this.lists.unlink(lru);
      this.lists.link(lru, Region.Window);
    }
  }

  private onAccess(slot: number): void {
    const region = this.lists.regionOf[slot] as Region;
    if (region === Region.Probation) {
      // Read again after admission: promoted, and the protected region makes room by demotion.
      this.lists.unlink(slot);
      this.lists.link(slot, Region.Protected);
      this.demoteFromProtected();
    } else {
      this.lists.moveToMru(slot, region);
    }
  }

  /** The protected region's least recent entries go back to probation while it is over its limits. */
  private demoteFromProtected(): void {
    while (
      this.lists.entries[Region.Protected] > this.protectedLimits.entries ||
      this.lists.bytes[Region.Protected] > this.protectedLimits.bytes
    ) {
      const lru = this.lists.first(Region.Protected);
      if (lru === -1) break;
      this.lists.unlink(lru);
      this.lists.link(lru, Region.Probation);
    }
  }

  /**
   * Restores the bounds, in two steps:
   * 1. the window's overflow (its least recent entries, keeping at least the newest) moves to
   *    probation as candidates;
   * 2. while the slice is over a bound, the oldest candidate and the probation's least recent
   *    entry (the victim) are compared by frequency, and the loser is evicted. When one side runs
   *    out, the other is evicted; when both do, the protected region and then the window give way.
   */
  private evict(): void {
    let candidate = this.evictFromWindow();
    if (this.slots.size <= this.max && this.bytes <= this.maxSize) return;
    // A window below its limits keeps its entries (it is below them only while the slice is not
    // full): the room comes from the main space, whose least recent entries go without a contest.
    const windowFull =
      this.lists.entries[Region.Window] >= this.windowLimits.entries ||
      this.lists.bytes[Region.Window] >= this.windowLimits.bytes;
    const nil = -1;
    let candidatesFromWindow = false;
    let victimRegion: Region = Region.Probation;
    let victim = this.lists.first(Region.Probation);
    while (this.slots.size > this.max || this.bytes > this.maxSize) {
      if (candidate === nil && !candidatesFromWindow) {
        candidatesFromWindow = true;
        if (windowFull) candidate = this.lists.first(Region.Window);
      }
      if (candidate === nil && victim === nil) {
        if (victimRegion === Region.Probation) {
          victimRegion = Region.Protected;
          victim = this.lists.first(Region.Protected);
          continue;
        }
        if (victimRegion === Region.Protected) {
          victimRegion = Region.Window;
          victim = this.lists.first(Region.Window);
          continue;
        }
        break; // unreachable while the slice is over a bound: some region holds an entry
      }
      if (victim === nil) {
        const evicted = candidate;
        candidate = this.lists.after(candidate);
        this.remove(evicted, 'evict');
        continue;
      }
      if (candidate === nil) {
        const evicted = victim;
        victim = this.lists.after(victim);
        this.remove(evicted, 'evict');
        continue;
      }
      if (candidate === victim) {
        victim = this.lists.after(victim);
        this.remove(candidate, 'evict');
        candidate = nil;
        continue;
      }
      if (this.admission.admits(this.hashOf[candidate], this.hashOf[victim])) {
        const evicted = victim;
        victim = this.lists.after(victim);
        this.remove(evicted, 'evict');
        candidate = this.lists.after(candidate);
      } else {
        const evicted = candidate;
        candidate = this.lists.after(candidate);
        this.remove(evicted, 'evict');
      }
    }
  }

  /** Moves the window's overflow to probation's MRU end; returns the first moved, or -1. */
  private evictFromWindow(): number {
    let first = -1;
    while (
      this.lists.entries[Region.Window] > 1 &&
      (this.lists.entries[Region.Window] > this.windowLimits.entries ||
        this.lists.bytes[Region.Window] > this.windowLimits.bytes)
    ) {
      const lru = this.lists.first(Region.Window);
      this.lists.unlink(lru);
      this.lists.link(lru, Region.Probation);
      if (first === -1) first = lru;
    }
    // A single entry larger than the window's byte share still leaves it once it is not the newest.
    return first;
  }

  private remove(slot: number, reason: 'evict' | 'delete'): void {
    const key = this.keyOf[slot]!;
    const entry = this.entryOf[slot]!;
    this.lists.unlink(slot);
    this.slots.delete(key);
    this.bytes -= this.sizeOf[slot];
    this.keyOf[slot] = undefined;
    this.entryOf[slot] = undefined;
    this.free[this.freeCount++] = slot;
    this.dispose(entry, key, reason);
  }
}
