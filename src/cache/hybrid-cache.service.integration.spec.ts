import { FakeClock } from '../../test/fixtures/clock.js';
import { Deferred, settle, waitFor } from '../../test/fixtures/deferred.js';
import {
  createHybrid,
  deletePrefix,
  rawClient,
  TEST_REDIS_URL,
  uniquePrefix,
  type HybridHandle,
} from '../../test/fixtures/redis.js';
import { ANY } from './cache-keys.js';
import { resolveCacheOptions } from './cache-options.js';
import { RedisStore } from './stores/redis.store.js';
import type { ContractSubject } from '../../test/fixtures/store-contract.js';
import { l2Subject } from '../../test/fixtures/tier-subjects.js';

const MINUTE = 60_000;
const policies = {
  item: { l1TtlMs: MINUTE, l2TtlMs: MINUTE, jitter: 0, graceMs: 5 * MINUTE, nullTtlMs: 10_000 },
  fresh: { l1TtlMs: MINUTE, l2TtlMs: MINUTE, jitter: 0, earlyRefresh: 0.2, graceMs: 0 },
};

describe('HybridCacheService', () => {
  const redis = rawClient();
  let prefix: string;
  let clock: FakeClock;
  const handles: HybridHandle[] = [];
  const open = async () => {
    const handle = await createHybrid({ prefix, redisUrl: TEST_REDIS_URL, policies, now: clock.now });
    handles.push(handle);
    return handle;
  };

  beforeEach(() => {
    prefix = uniquePrefix('hybrid');
    clock = new FakeClock();
  });
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.close()));
    await deletePrefix(redis, prefix);
  });
  afterAll(() => redis.quit());

  describe('single-flight', () => {
    it('runs the source once for 1,000 concurrent calls on a cold key', async () => {
      const { cache } = await open();
      const gate = new Deferred<{ id: string }>();
      let calls = 0;
      const loader = () => {
        calls++;
        return gate.promise;
      };

      const all = Promise.all(Array.from({ length: 1_000 }, () => cache.wrap('item', ['cold', 1], loader)));
      await settle();
      gate.resolve({ id: 'v1' });
      const results = await all;

      expect(calls).toBe(1);
      expect(new Set(results.map((r) => r.id))).toEqual(new Set(['v1']));
      expect(cache.stats().namespaces.item!.coalesced).toBe(999);
      console.log(`single-flight: 1000 concurrent calls -> ${calls} source call`);
    });

    it('gives every waiter the error, stores nothing, and retries on the next call', async () => {
      const { cache } = await open();
      const gate = new Deferred<string>();
      let calls = 0;

      const all = Array.from({ length: 1_000 }, () =>
        cache.wrap('item', 'failing', () => {
          calls++;
          return gate.promise;
        }),
      );
      await settle();
      gate.reject(new Error('source down'));
      const outcomes = await Promise.allSettled(all);

      expect(calls).toBe(1);
      expect(
        outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'source down'),
      ).toBe(true);
      expect(await redis.exists(`${prefix}:item:failing`)).toBe(0);
      expect(await cache.get('item', 'failing')).toBeUndefined();
      const retried = await cache.wrap('item', 'failing', () => {
        calls++;
        return 'recovered';
      });
      expect(retried).toBe('recovered');
      expect(calls).toBe(2);
    });
  });

  describe('tiers', () => {
    it('serves an L1 hit without touching Redis', async () => {
      const { cache, context } = await open();
      await cache.wrap('item', 'k', () => 'v');
      await redis.unlink(`${prefix}:item:k`); // only L1 can answer now

      const outcome = await context.run(async () => {
        const value = await cache.wrap('item', 'k', () => 'from source');
        return { value, tiers: context.outcomes().map((o) => o.tier) };
      });

      expect(outcome).toEqual({ value: 'v', tiers: ['l1'] });
    });

    it('fills L1 from an L2 hit for the TTL that remains in L2, not a full L1 TTL', async () => {
      const a = await open();
      const b = await open();
      await a.cache.wrap('item', 'k', () => 'v'); // fresh in L2 for 60 s
      clock.advance(45_000);

      const first = await b.context.run(async () => {
        await b.cache.wrap('item', 'k', () => 'reloaded');
        return b.context.outcomes()[0]!.tier;
      });
      clock.advance(14_000);
      const second = await b.context.run(async () => {
        await b.cache.wrap('item', 'k', () => 'reloaded');
        return b.context.outcomes()[0]!.tier;
      });
      clock.advance(2_000); // 61 s after the write: L2's TTL is over, and so must L1's be
      const third = await b.context.run(async () => ({
        value: await b.cache.wrap('item', 'k', () => 'reloaded'),
        tier: b.context.outcomes()[0]!.tier,
      }));

      expect(first).toBe('l2');
      expect(second).toBe('l1');
      expect(third).toEqual({ value: 'reloaded', tier: 'source' });
    });

    it('caches null for the policy null TTL', async () => {
      const { cache } = await open();
      let calls = 0;
      const load = () => {
        calls++;
        return null;
      };
      expect(await cache.wrap('item', 'ghost', load)).toBeNull();
      expect(await cache.wrap('item', 'ghost', load)).toBeNull();
      clock.advance(10_001);
      await cache.wrap('item', 'ghost', load);
      expect(calls).toBe(2);
    });

    it('does not store a result when unless says so', async () => {
      const { cache } = await open();
      let calls = 0;
      const load = () => ++calls;
      await cache.wrap('item', 'u', load, { unless: (n) => n < 2 });
      await cache.wrap('item', 'u', load, { unless: (n) => n < 2 });
      await cache.wrap('item', 'u', load, { unless: (n) => n < 2 });
      expect(calls).toBe(2);
    });
  });

  describe('stale-if-error', () => {
    it('serves a value expired within the grace period when the source fails, marked stale', async () => {
      const { cache, context } = await open();
      await cache.wrap('item', 'k', () => 'old');
      clock.advance(MINUTE + 1_000);

      const served = await context.run(async () => ({
        value: await cache.wrap('item', 'k', () => Promise.reject(new Error('db down'))),
        tier: context.outcomes()[0]!.tier,
      }));

      expect(served).toEqual({ value: 'old', tier: 'stale' });
      expect(cache.stats().namespaces.item!.stale).toBe(1);
    });

    it('serves stale from L2 on a replica whose L1 never had it', async () => {
      const a = await open();
      const b = await open();
      await a.cache.wrap('item', 'k', () => 'old');
      clock.advance(MINUTE + 1_000);
      expect(await b.cache.wrap('item', 'k', () => Promise.reject(new Error('db down')))).toBe('old');
    });

    it('fails once the grace period is over', async () => {
      const { cache } = await open();
      await cache.wrap('item', 'k', () => 'old');
      clock.advance(MINUTE + 5 * MINUTE + 1);
      await expect(cache.wrap('item', 'k', () => Promise.reject(new Error('db down')))).rejects.toThrow(
        'db down',
      );
    });
  });

  describe('early refresh', () => {
    it('refreshes a hit close to expiry in the background, once', async () => {
      const { cache } = await open();
      let calls = 0;
      const gate = new Deferred<string>();
      await cache.wrap('fresh', 'k', () => 'v0');
      clock.advance(50_000); // 10 s left of 60 s: inside the last 20%

      const hits = await Promise.all(
        Array.from({ length: 10 }, () =>
          cache.wrap('fresh', 'k', () => {
            calls++;
            return gate.promise;
          }),
        ),
      );
      await waitFor(() => calls > 0);
      gate.resolve('v1');
      await waitFor(async () => (await cache.wrap('fresh', 'k', () => 'never')) === 'v1');

      expect(hits).toEqual(Array(10).fill('v0'));
      expect(calls).toBe(1);
      expect(cache.stats().namespaces.fresh!.refreshes).toBe(1);
    });
  });

  describe('early refresh of entries with their own TTL', () => {
    it('measures the refresh window on the TTL the entry was stored with, in L1 and on another replica', async () => {
      const a = await open();
      const b = await open();
      let calls = 0;
      const load = () => {
        calls++;
        return `v${calls}`;
      };
      await a.cache.wrap('fresh', 'short', load, { ttlMs: 10_000 }); // policy TTL 60 s, window 20%
      clock.advance(1_000);
      await b.cache.wrap('fresh', 'short', load, { ttlMs: 10_000 }); // from L2, 9 s left

      for (let i = 0; i < 5; i++) {
        await a.cache.wrap('fresh', 'short', load, { ttlMs: 10_000 });
        await b.cache.wrap('fresh', 'short', load, { ttlMs: 10_000 });
      }
      await settle();
      expect(calls).toBe(1); // 9 s of 10 left: outside the last 20%, so no refresh

      clock.advance(7_000); // 2 s of 10 left: inside
      await a.cache.wrap('fresh', 'short', load, { ttlMs: 10_000 });
      await waitFor(() => calls === 2);
    });
  });

  describe('the cache-aside race', () => {
    /** A source read that the test holds open, and that tells when it has begun. */
    const heldLoad = () => {
      const started = new Deferred();
      const result = new Deferred<string>();
      return {
        started: started.promise,
        release: (value: string) => result.resolve(value),
        loader: () => {
          started.resolve();
          return result.promise;
        },
      };
    };

    it('a load that began before an eviction on this replica does not store its older value', async () => {
      const { cache } = await open();
      const load = heldLoad();
      const reading = cache.wrap('item', 'k', load.loader);
      await load.started; // the source read has begun, before the write below

      await cache.delete('item', 'k'); // a write committed and evicted
      load.release('old');

      expect(await reading).toBe('old'); // its caller started before the write
      expect(await cache.wrap('item', 'k', () => 'new')).toBe('new');
      expect(cache.stats().namespaces.item!.discardedLoads).toBe(1);
    });

    it('memory-only: a load that began before an eviction does not store its older value', async () => {
      const handle = await createHybrid({ policies, now: clock.now });
      handles.push(handle);
      const load = heldLoad();
      const reading = handle.cache.wrap('item', 'k', load.loader);
      await load.started;

      await handle.cache.delete('item', 'k');
      load.release('old');
      await reading;

      expect(await handle.cache.wrap('item', 'k', () => 'new')).toBe('new');
    });

    it('a call arriving after the eviction does not join the older load', async () => {
      const { cache } = await open();
      const load = heldLoad();
      const early = cache.wrap('item', 'k', load.loader);
      await load.started;
      await cache.delete('item', 'k');

      const late = cache.wrap('item', 'k', () => 'new');

      load.release('old');
      expect(await early).toBe('old');
      expect(await late).toBe('new');
    });

    it.each([
      ['a key eviction', (store: ContractSubject) => store.deleteMany('item', ['k'])],
      ['a pattern eviction', (store: ContractSubject) => store.deleteByPattern('item', [ANY])],
      ['a namespace clear', (store: ContractSubject) => store.clearNamespace('item')],
      ['a tag eviction', (store: ContractSubject) => store.deleteByTag('t')],
    ])(
      'a load on one replica does not store after %s on another (before any bus message)',
      async (_, evict) => {
        // The load's reads of L2 must answer for the conditional store to be what decides (see
        // UNHURRIED_L2_TIMEOUT_MS): one that timed out would, with no bus message to stop it, fill L1.
        const { cache } = await open();
        // The other replica, reduced to its Redis effects: no bus message reaches this one.
        const otherOptions = resolveCacheOptions({ prefix, policies, now: clock.now });
        const other = l2Subject(new RedisStore(redis, otherOptions), otherOptions);
        const load = heldLoad();
        const reading = cache.wrap('item', 'k', load.loader, { tags: ['t'] });
        await load.started;

        await evict(other);
        load.release('old');
        await reading;

        const stored = await redis.getBuffer(`${prefix}:item:k`);
        expect(stored === null || stored[0] === 'T'.charCodeAt(0)).toBe(true);
        // Refused by the conditional store in Redis, not kept out by anything local.
        expect(cache.stats().namespaces.item!.discardedLoads).toBe(1);
        expect(await cache.wrap('item', 'k', () => 'new')).toBe('new');
      },
    );
  });

  describe('coherence across replicas', () => {
    it('a tag eviction on one replica reaches the L1 copy another replica took from L2', async () => {
      const a = await open();
      const b = await open();
      await a.cache.wrap('item', ['list', 1], () => ['v1', 'v2'], { tags: ['video:v1'] });
      expect(await b.cache.wrap('item', ['list', 1], () => ['never'])).toEqual(['v1', 'v2']); // from L2 into B's L1

      await a.cache.deleteByTag('video:v1');
      await waitFor(() => b.cache.stats().namespaces.item!.l1Entries === 0, 2_000);

      expect(await b.cache.wrap('item', ['list', 1], () => ['v2'])).toEqual(['v2']);
    });
  });

  describe('undecodable entries', () => {
    it('treats a corrupt or foreign L2 value as a miss, removes it and counts it', async () => {
      const { cache } = await open();
      await redis.set(`${prefix}:item:k`, '{"json":"from another serializer"}', 'PX', 60_000);

      expect(await cache.wrap('item', 'k', () => 'loaded')).toBe('loaded');
      expect(cache.stats().namespaces.item!.decodeErrors).toBe(1);
      const second = await open();
      expect(await second.cache.get('item', 'k')).toBe('loaded');
    });
  });

  describe('stats', () => {
    it('counts hits and misses per tier and namespace', async () => {
      const a = await open();
      const b = await open();
      await a.cache.wrap('item', 'k', () => 1); // miss + load
      await a.cache.wrap('item', 'k', () => 1); // L1 hit
      await b.cache.wrap('item', 'k', () => 1); // L2 hit

      const sa = a.cache.stats();
      const sb = b.cache.stats();
      expect(sa.namespaces.item).toMatchObject({
        l1: { hits: 1, misses: 1 },
        l2: { hits: 0, misses: 1 },
        loads: 1,
        hitRate: 0.5,
      });
      expect(sb.namespaces.item).toMatchObject({
        l1: { hits: 0, misses: 1 },
        l2: { hits: 1, misses: 0 },
        loads: 0,
        hitRate: 1,
      });
      expect(sa.l2.status).toBe('up');
      expect(sa.l1.entries).toBe(1);
      expect(sa.l1.bytes).toBeGreaterThan(0);
    });
  });
});
