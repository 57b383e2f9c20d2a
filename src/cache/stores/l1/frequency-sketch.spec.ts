import { FrequencySketch, hashKey } from './frequency-sketch.js';

/** The counters, read from the private table: the only way to see what the doorkeeper keeps out. */
const counters = (sketch: FrequencySketch) => (sketch as unknown as { table: Uint32Array }).table;

describe('FrequencySketch', () => {
  it('counts the sightings of a key, and nothing for a key never seen', () => {
    const sketch = new FrequencySketch(1_000);
    const hot = hashKey('video:hot');
    for (let i = 0; i < 5; i++) sketch.increment(hot);
    expect(sketch.frequency(hot)).toBe(5);
    expect(sketch.frequency(hashKey('video:never'))).toBe(0);
  });

  it('saturates at 15 counted sightings plus the doorkeeper’s one, and says so', () => {
    const sketch = new FrequencySketch(1_000);
    const hot = hashKey('video:hot');
    const recorded = Array.from({ length: 20 }, () => sketch.increment(hot));
    expect(sketch.frequency(hot)).toBe(16);
    // 1 doorkeeper sighting + 15 counted ones recorded something; the rest found nothing to add.
    expect(recorded.filter(Boolean)).toHaveLength(16);
    expect(recorded.slice(16)).toEqual([false, false, false, false]);
  });

  describe('doorkeeper', () => {
    it('keeps first sightings out of the counters: keys seen once leave every counter at zero', () => {
      const sketch = new FrequencySketch(1_000);
      // Few keys for its size: a Bloom filter this empty has no false positive among them.
      for (let i = 0; i < 100; i++) sketch.increment(hashKey(`crawl:${i}`));
      expect(counters(sketch).every((word) => word === 0)).toBe(true);
      expect(sketch.frequency(hashKey('crawl:7'))).toBe(1);

      sketch.increment(hashKey('crawl:7'));
      expect(counters(sketch).some((word) => word !== 0)).toBe(true);
      expect(sketch.frequency(hashKey('crawl:7'))).toBe(2);
    });
  });

  describe('aging', () => {
    it('halves every count after sampleSize sightings (ten per entry), and forgets first sightings', () => {
      const sketch = new FrequencySketch(1_000);
      expect(sketch.sampleSize).toBe(10_000);
      const hot = hashKey('video:hot');
      for (let i = 0; i < 11; i++) sketch.increment(hot); // doorkeeper + 10 counted
      const once = hashKey('video:once');
      sketch.increment(once);
      // Fill the sample with one-off keys: each first sighting counts towards it too.
      let filler = 0;
      while (sketch.additions < sketch.sampleSize - 1) sketch.increment(hashKey(`filler:${filler++}`));
      expect(sketch.halvings).toBe(0);
      expect(sketch.frequency(hot)).toBe(11);

      sketch.increment(hashKey(`filler:${filler}`));

      expect(sketch.halvings).toBe(1);
      expect(sketch.frequency(hot)).toBe(5);
      expect(sketch.frequency(once)).toBe(0);
      expect(sketch.additions).toBeLessThanOrEqual(sketch.sampleSize / 2);
    });
  });

  it('hashKey spreads keys that differ in one character over the whole range', () => {
    const hashes = new Set(Array.from({ length: 10_000 }, (_, i) => hashKey(`video:vid_${i}`)));
    expect(hashes.size).toBe(10_000);
    const highBitSet = [...hashes].filter((h) => h < 0).length;
    expect(highBitSet / hashes.size).toBeGreaterThan(0.45);
    expect(highBitSet / hashes.size).toBeLessThan(0.55);
  });
});
