import { createHybrid, type HybridHandle } from '../../test/fixtures/redis.js';

// Each read is one lookup in L1's counts, whichever path it takes: the hit path (hitL1) and, when
// that misses, the read-through, which looks at L1 again. Counted twice, a miss made the L1 hit
// ratio and its estimate at twice the size read low in stats and metrics.
describe('L1 lookups are counted once per read', () => {
  let handle: HybridHandle;

  beforeEach(async () => {
    handle = await createHybrid({ namespaces: { alpha: { jitter: 0 } } });
  });
  afterEach(() => handle.close());

  const slice = () => handle.cache.stats().namespaces.alpha!;

  it('counts a miss then a hit through wrap as two lookups, half of them hits', async () => {
    await handle.cache.wrap('alpha', ['k'], () => 1);
    await handle.cache.wrap('alpha', ['k'], () => 2);

    expect(slice().l1HitRatio).toBe(0.5);
  });

  it('counts 10 cold reads and 30 warm ones as 40 lookups with 30 hits', async () => {
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 10; i++) await handle.cache.wrap('alpha', ['k', i], () => i);
    }

    expect(slice().l1HitRatio).toBe(0.75);
  });

  it('does not count whether a key is fresh as a read', async () => {
    await handle.cache.wrap('alpha', ['k'], () => 1);
    const key = handle.cache.keyOf('alpha', ['k']);
    for (let i = 0; i < 5; i++) expect(handle.cache.isFresh('alpha', key)).toBe(true);
    expect(handle.cache.isFresh('alpha', handle.cache.keyOf('alpha', ['absent']))).toBe(false);

    expect(slice().l1HitRatio).toBe(0);
  });
});
