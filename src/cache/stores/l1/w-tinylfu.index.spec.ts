import fc from 'fast-check';
import { LRUCache } from 'lru-cache';
import type { L1Entry } from '../memory.store.js';
import type { L1Index } from './l1-index.js';
import { Region } from './region-lists.js';
import { WTinyLfuIndex } from './w-tinylfu.index.js';

const entry = (bytes = 100): L1Entry => ({
  value: 'v',
  freshUntil: Number.MAX_SAFE_INTEGER,
  refreshAfter: Number.MAX_SAFE_INTEGER,
  staleUntil: Number.MAX_SAFE_INTEGER,
  bytes,
  cloneOnRead: false,
  tags: undefined,
  json: undefined,
});

function tinylfu(max: number, maxSize = 1e12) {
  const evicted: string[] = [];
  const index = new WTinyLfuIndex(max, maxSize, (_entry, key, reason) => {
    if (reason === 'evict') evicted.push(key);
  });
  return { index, evicted };
}

const lru = (max: number): L1Index =>
  new LRUCache<string, L1Entry>({ max, maxSize: 1e12, maxEntrySize: 1e12 });

/** Reads a key as the store does: a hit, or a miss followed by storing it. */
const read = (index: L1Index, key: string, bytes = 100) => {
  if (index.get(key) !== undefined) return true;
  index.set(key, entry(bytes), { size: bytes });
  return false;
};

describe('WTinyLfuIndex (W-TinyLFU)', () => {
  describe('region sizes', () => {
    it('gives the window 1% of the slice and the protected region 80% of the rest, in entries and bytes', () => {
      const { index } = tinylfu(1_000, 1_000_000);
      expect(index.windowLimits).toEqual({ entries: 10, bytes: 10_000 });
      expect(index.protectedLimits).toEqual({ entries: 792, bytes: 792_000 });
    });

    it('answers a peek without recording an access: a peeked probation entry stays in probation', () => {
      const { index } = tinylfu(100);
      for (let i = 0; i < 100; i++) read(index, `k${i}`);
      for (let i = 0; i < 5; i++) expect(index.peek('k0')).toBeDefined();
      expect(index.peek('absent')).toBeUndefined();
      expect(index.regionOfKey('k0')).toBe(Region.Probation);

      index.get('k0');
      expect(index.regionOfKey('k0')).toBe(Region.Protected);
    });

    it('keeps at least one entry of window on a tiny slice', () => {
      const { index } = tinylfu(3, 300);
      expect(index.windowLimits).toEqual({ entries: 1, bytes: 3 });
      expect(index.protectedLimits.entries).toBe(1);
    });

    it('fills the regions as the policy says: newcomers in the window, its overflow in probation, re-reads protected', () => {
      const { index } = tinylfu(100);
      for (let i = 0; i < 100; i++) read(index, `k${i}`);
      expect(index.regions().window.entries).toBe(1);
      expect(index.regions().probation.entries).toBe(99);
      expect(index.regionOfKey('k99')).toBe(Region.Window);
      expect(index.regionOfKey('k0')).toBe(Region.Probation);

      read(index, 'k0');
      expect(index.regionOfKey('k0')).toBe(Region.Protected);
      // Re-reading more than the protected region holds demotes its least recent back to probation.
      for (let i = 0; i < 99; i++) read(index, `k${i}`);
      expect(index.regions().protected.entries).toBe(index.protectedLimits.entries);
      expect(index.regionOfKey('k0')).toBe(Region.Probation);
      expect(index.regionOfKey('k98')).toBe(Region.Protected);
    });
  });

  describe('bounds', () => {
    it('never holds more entries or bytes than its limits, whatever the sizes and the order of operations', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.tuple(
              fc.constantFrom('read', 'read', 'read', 'delete'),
              fc.nat(300),
              fc.integer({ min: 1, max: 5_000 }),
            ),
            { minLength: 1, maxLength: 3_000 },
          ),
          (operations) => {
            const { index } = tinylfu(50, 40_000);
            for (const [operation, key, bytes] of operations) {
              if (operation === 'read') read(index, `k${key}`, bytes);
              else index.delete(`k${key}`);
              expect(index.size).toBeLessThanOrEqual(50);
              expect(index.calculatedSize).toBeLessThanOrEqual(40_000);
              const regions = index.regions();
              const sum = regions.window.bytes + regions.probation.bytes + regions.protected.bytes;
              expect(sum).toBe(index.calculatedSize);
              expect(regions.window.entries + regions.probation.entries + regions.protected.entries).toBe(
                index.size,
              );
            }
          },
        ),
        { numRuns: 20 },
      );
    });

    it('weighs a newcomer when admitting it: a large one gets in only by evicting as many bytes as it needs', () => {
      const { index, evicted } = tinylfu(100, 10_000);
      for (let i = 0; i < 10; i++) read(index, `small${i}`, 1_000);
      expect(index.calculatedSize).toBe(10_000);
      // Read again and again, the large value's frequency overtakes the small victims'.
      for (let i = 0; i < 5 && !index.has('large'); i++) read(index, 'large', 5_000);
      read(index, 'next', 1); // moves it out of the window, into the contest
      expect(index.has('large')).toBe(true);
      expect(index.calculatedSize).toBeLessThanOrEqual(10_000);
      expect(evicted.filter((key) => key.startsWith('small')).length).toBeGreaterThanOrEqual(5);
    });
  });

  describe('admission', () => {
    const hot = Array.from({ length: 50 }, (_, i) => `hot${i}`);
    const hotSurvivors = (index: L1Index) => hot.filter((key) => index.has(key)).length;
    const warm = (index: L1Index) => {
      for (let round = 0; round < 20; round++) for (const key of hot) read(index, key);
    };

    it('a one-off scan of cold keys five times the slice does not flush the hot set (it does under LRU)', () => {
      const scan = (index: L1Index) => {
        warm(index);
        for (let i = 0; i < 500; i++) read(index, `cold${i}`);
        return hotSurvivors(index);
      };
      expect(scan(tinylfu(100).index)).toBe(50);
      expect(scan(lru(100))).toBe(0);
    });

    it('a long crawl, with the hot set still read meanwhile, does not flush it either (it does under LRU)', () => {
      /** The share of the hot set's reads, during the crawl, that hit. */
      const crawl = (index: L1Index) => {
        warm(index);
        let hotHits = 0;
        for (let i = 0; i < 30_000; i++) {
          if (i % 4 !== 3) read(index, `cold${i}`);
          else if (read(index, hot[(i >> 2) % 50]!)) hotHits++;
        }
        return hotHits / 7_500;
      };
      expect(crawl(tinylfu(100).index)).toBeGreaterThan(0.95);
      expect(crawl(lru(100))).toBeLessThan(0.05);
    });

    it('admits a candidate seen more often than the victim, and turns away one seen less', () => {
      const { index, evicted } = tinylfu(10);
      for (let i = 0; i < 10; i++) read(index, `old${i}`);
      // A candidate seen once loses to a victim seen once: turned away, the main space unchanged.
      read(index, 'once');
      expect(evicted).toEqual(['old9']); // the window's previous newcomer, now the candidate
      read(index, 'once2');
      expect(evicted).toEqual(['old9', 'once']);
      // A key that kept coming back wins against the victim.
      for (let i = 0; i < 5; i++) {
        index.delete('often');
        read(index, 'often');
      }
      read(index, 'push'); // pushes `often` out of the window, as a candidate
      expect(index.has('often')).toBe(true);
      expect(evicted.at(-1)).toBe('old0'); // the victim: probation's least recent entry
    });
  });

  describe('hill climbing', () => {
    it('counts one miss per read in its sample, however often the read path probes the key before storing it', () => {
      const { index } = tinylfu(100);
      index.get('a');
      index.get('a');
      expect(index.missesInSample).toBe(1);
      index.get('b');
      expect(index.missesInSample).toBe(2);
      // Stored, then gone: the next miss on it is a read of its own.
      index.set('a', entry(), { size: 100 });
      index.delete('a');
      index.get('a');
      expect([index.missesInSample, index.hitsInSample]).toEqual([3, 0]);
    });

    it('grows the window when reads return soon after their first, and keeps it small on a loop', () => {
      // Recency: 80% of reads go back to a recent key, at a geometric LRU-stack distance (mean 50).
      const recency = tinylfu(200);
      let seed = 12_345;
      const random = () => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) / 2 ** 32;
      };
      const stack: string[] = [];
      let fresh = 0;
      for (let i = 0; i < 40_000; i++) {
        const distance = Math.floor(Math.log(1 - random()) / Math.log(1 - 1 / 50));
        const key = distance < stack.length && random() < 0.8 ? stack.splice(distance, 1)[0]! : `r${fresh++}`;
        stack.unshift(key);
        if (stack.length > 1_000) stack.length = 1_000;
        read(recency.index, key);
      }
      expect(recency.index.windowShare).toBeGreaterThan(0.3);

      // A loop a little larger than the slice: a window only loses hits.
      const loop = tinylfu(200);
      for (let i = 0; i < 40_000; i++) read(loop.index, `l${i % 250}`);
      expect(loop.index.windowShare).toBeLessThan(0.1);
    });
  });

  it('clear and delete hand every entry to dispose and leave nothing behind', () => {
    const disposed: string[] = [];
    const index = new WTinyLfuIndex(10, 1e6, (_e, key, reason) => disposed.push(`${reason}:${key}`));
    read(index, 'a');
    read(index, 'b');
    expect(index.delete('a')).toBe(true);
    expect(index.delete('a')).toBe(false);
    index.clear();
    expect(disposed).toEqual(['delete:a', 'delete:b']);
    expect([index.size, index.calculatedSize, [...index.keys()].length]).toEqual([0, 0, 0]);
  });
});
