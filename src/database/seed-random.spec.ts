import { SeededRandom, ZipfSampler } from './seed-random.js';

describe('SeededRandom', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const draw = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 5 }, () => random.next());
    };

    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('stays within its bounds', () => {
    const random = new SeededRandom(1);
    for (let i = 0; i < 10_000; i++) {
      const x = random.next();
      const n = random.between(3, 5);
      if (x < 0 || x >= 1 || n < 3 || n > 5 || !Number.isInteger(n))
        throw new Error(`out of bounds: ${x}, ${n}`);
    }
    expect(
      random
        .permutation(100)
        .slice()
        .sort((a, b) => a - b),
    ).toEqual(Int32Array.from({ length: 100 }, (_, i) => i));
  });

  it('follows the weights', () => {
    const random = new SeededRandom(7);
    const picks = Array.from({ length: 10_000 }, () =>
      random.weighted([
        ['rare', 1],
        ['common', 9],
      ]),
    );

    expect(picks.filter((pick) => pick === 'common').length / picks.length).toBeCloseTo(0.9, 1);
  });
});

describe('ZipfSampler', () => {
  it('favours low ranks in proportion to 1/rank', () => {
    const sampler = new ZipfSampler(1_000, 1, new SeededRandom(3));
    const hits = Array.from({ length: 1_000 }, () => 0);
    for (let i = 0; i < 100_000; i++) hits[sampler.sample()]++;

    // P(rank 0) / P(rank 1) = 2 and P(rank 0) = 1 / H(1000) ≈ 0.134.
    expect(hits[0] / hits[1]).toBeCloseTo(2, 0);
    expect(hits[0] / 100_000).toBeCloseTo(0.134, 1);
    expect(hits[999]).toBeLessThan(hits[0] / 100);
  });
});
