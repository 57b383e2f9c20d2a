import fc from 'fast-check';
import { LRUCache } from 'lru-cache';
import { FakeClock } from '../../../test/fixtures/clock.js';
import { ANY, fullKey, patternGlob, type CacheKey } from '../cache-keys.js';
import { resolveCacheOptions, type CacheModuleOptions } from '../cache-options.js';
import { APP_CACHE_NAMESPACES } from '../../app.cache-namespaces.js';
import { L1_EVICTIONS, type L1Eviction } from '../cache-policy.js';
import { WTinyLfuIndex } from './l1/w-tinylfu.index.js';
import { MemoryStore } from './memory.store.js';
import { isSequentialOneByte } from '../../../test/fixtures/string-shape.js';

const KB = 1024;
const MINUTE = 60_000;
const PREFIX = 'l1-spec';

/** A string whose estimated footprint (2 bytes per UTF-16 unit) is about `bytes`. */
const blob = (bytes: number, fill = 'x') => fill.repeat(Math.max(1, Math.floor(bytes / 2)));

/** Every namespace of `options` (and the default ones) with the given eviction policy. */
function withEviction(eviction: L1Eviction, options: CacheModuleOptions): CacheModuleOptions {
  const names = new Set([...Object.keys(APP_CACHE_NAMESPACES), ...Object.keys(options.policies ?? {})]);
  const policies = Object.fromEntries(
    [...names].map((name) => [name, { ...options.policies?.[name], eviction }]),
  );
  return { ...options, policies };
}

function storeWith(eviction: L1Eviction, options: CacheModuleOptions = {}) {
  return memoryStoreOf(withEviction(eviction, options));
}

function memoryStoreOf(options: CacheModuleOptions) {
  const clock = new FakeClock();
  // The app's namespaces: a realistic spread of shares, and the names the tests use.
  const store = new MemoryStore(
    resolveCacheOptions({ prefix: PREFIX, now: clock.now, namespaces: APP_CACHE_NAMESPACES, ...options }),
  );
  const key = (namespace: string, k: CacheKey) => fullKey(PREFIX, namespace, k);
  /** Stores a value fresh for a minute, with no grace period. */
  const put = (namespace: string, k: CacheKey, value: unknown, tags?: readonly string[]) =>
    store.put(namespace, key(namespace, k), { value, freshUntil: clock.time + MINUTE, graceMs: 0, tags });
  const has = (namespace: string, k: CacheKey) =>
    store.lookup(namespace, key(namespace, k), clock.time) !== undefined;
  return { store, clock, key, put, has };
}

/** Two namespaces with an equal half of L1 each. */
const halves = { alpha: { l1Share: 0.5 }, beta: { l1Share: 0.5 } };
/** Only the namespaces a test names, so each gets exactly its declared share. */
const only = (policies: Record<string, { l1Share: number }>): CacheModuleOptions['policies'] => {
  const none = Object.keys(APP_CACHE_NAMESPACES).map((name) => [name, { l1Share: 0 }]);
  return { ...Object.fromEntries(none), ...policies };
};

// What does not depend on the eviction policy holds for both.
describe.each(L1_EVICTIONS)('MemoryStore (L1), eviction %s', (eviction) => {
  const memoryStore = (options: CacheModuleOptions = {}) => storeWith(eviction, options);

  describe('byte bound', () => {
    it('a flood of large values never takes L1, or any namespace, past its byte limit', () => {
      const { store, put } = memoryStore({ l1: { maxBytes: 1024 * KB } });
      const namespaces = ['user', 'video', 'video-status', 'static', 'analytics', 'search', 'session'];
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.constantFrom(...namespaces), fc.integer({ min: 5 * KB, max: 50 * KB })), {
            minLength: 2_000,
            maxLength: 2_000,
          }),
          (inserts) => {
            store.dropAll();
            inserts.forEach(([namespace, bytes], i) => {
              put(namespace, ['flood', i], { body: blob(bytes), i });
              const usage = store.usage();
              expect(usage.bytes).toBeLessThanOrEqual(store.maxBytes);
              for (const slice of Object.values(usage.namespaces))
                expect(slice.bytes).toBeLessThanOrEqual(slice.maxBytes);
            });
            // It was full, not empty: the bound did the work.
            expect(store.usage().bytes).toBeGreaterThan(store.maxBytes / 2);
          },
        ),
        { numRuns: 2 },
      );
    });

    it('gives each namespace its share of the bytes, scaled down when the shares add up to more than 1', () => {
      const { store } = memoryStore({
        l1: { maxBytes: 1000 * KB },
        policies: { user: { l1Share: 0.6 }, video: { l1Share: 0.9 } },
      });
      const slices = store.usage().namespaces;
      const total = Object.values(slices).reduce((sum, s) => sum + s.maxBytes, 0);
      expect(total).toBeLessThanOrEqual(store.maxBytes);
      expect(slices.video!.maxBytes / slices.user!.maxBytes).toBeCloseTo(1.5, 2);
    });

    it('one namespace cannot evict another’s entries, however much it writes', () => {
      const { put, has, store } = memoryStore({ l1: { maxBytes: 400 * KB }, policies: only(halves) });
      for (let i = 0; i < 5; i++) put('alpha', ['keep', i], blob(10 * KB));
      for (let i = 0; i < 500; i++) put('beta', ['flood', i], blob(20 * KB));
      for (let i = 0; i < 5; i++) expect(has('alpha', ['keep', i])).toBe(true);
      expect(store.usage().namespaces.beta!.pressureEvictions).toBeGreaterThan(400);
      expect(store.usage().namespaces.alpha!.pressureEvictions).toBe(0);
    });

    it('counts a value’s real size: a larger value takes more of the budget', () => {
      const { store, put } = memoryStore({ policies: only(halves) });
      put('alpha', 'small', { s: blob(KB) });
      const small = store.usage().namespaces.alpha!.bytes;
      put('alpha', 'large', { s: blob(100 * KB) });
      const both = store.usage().namespaces.alpha!.bytes;
      expect(both - small).toBeGreaterThan(100 * KB);
      expect(both - small).toBeLessThan(110 * KB);
    });
  });

  describe('entry bound', () => {
    it('never holds more entries than maxEntries, in total or per namespace', () => {
      const { store, put } = memoryStore({ l1: { maxEntries: 100 }, policies: only(halves) });
      for (let i = 0; i < 1_000; i++) {
        put(i % 3 === 0 ? 'alpha' : 'beta', ['n', i], i);
        expect(store.usage().entries).toBeLessThanOrEqual(100);
      }
      expect(store.usage().namespaces.alpha!.entries).toBe(50);
      expect(store.usage().namespaces.beta!.entries).toBe(50);
    });
  });

  describe('an entry larger than its namespace’s budget', () => {
    it('is returned (frozen) but not stored', () => {
      const { store, put, has } = memoryStore({ l1: { maxBytes: 100 * KB }, policies: only(halves) });
      put('alpha', 'small', 'kept');
      const entry = put('alpha', 'huge', { body: blob(80 * KB) });
      expect((entry.value as { body: string }).body.length).toBe(40 * KB);
      expect(Object.isFrozen(entry.value)).toBe(true);
      expect(has('alpha', 'huge')).toBe(false);
      expect(has('alpha', 'small')).toBe(true);
      expect(store.usage().namespaces.alpha!.entries).toBe(1);
    });

    it('replaces what was stored under its key: the older value is not served afterwards', () => {
      const { store, put, key, clock } = memoryStore({ l1: { maxBytes: 100 * KB }, policies: only(halves) });
      put('alpha', 'doc', { version: 1 }, ['doc-tag']);
      put('alpha', 'doc', { version: 2, body: blob(80 * KB) });
      expect(store.lookup('alpha', key('alpha', 'doc'), clock.time)).toBeUndefined();
      expect(store.usage().namespaces.alpha!.entries).toBe(0);
    });
  });

  describe('freshness and grace', () => {
    it('serves an entry until its grace period ends, then drops it on lookup', () => {
      const { store, key, clock } = memoryStore();
      const k = key('user', 'u1');
      const freshUntil = clock.time + MINUTE;
      store.put('user', k, { value: 'profile', freshUntil, graceMs: 10 * MINUTE });

      clock.advance(MINUTE); // expired, within grace: returned (the caller sees it is stale)
      const stale = store.lookup('user', k, clock.time);
      expect(stale?.value).toBe('profile');
      expect(stale!.freshUntil).toBeLessThanOrEqual(clock.time);
      expect(store.usage().namespaces.user!.entries).toBe(1);

      clock.advance(10 * MINUTE - 1);
      expect(store.lookup('user', k, clock.time)).toBeDefined();
      clock.advance(1); // grace over
      expect(store.lookup('user', k, clock.time)).toBeUndefined();
      expect(store.usage().namespaces.user!.entries).toBe(0);
      expect(store.usage().namespaces.user!.bytes).toBe(0);
    });
  });

  describe('tags', () => {
    it('dropTags removes the tagged entries of every namespace and nothing else', () => {
      const { store, put, has } = memoryStore();
      put('user', 'u1', 'profile', ['user:1']);
      put('video', ['list', 'u1'], 'videos', ['user:1', 'videos']);
      put('search', 'q', 'results', ['videos']);
      put('user', 'u2', 'other', ['user:2']);
      put('user', 'untagged', 'x');

      expect(store.dropTags(['user:1'])).toBe(2);
      expect(has('user', 'u1')).toBe(false);
      expect(has('video', ['list', 'u1'])).toBe(false);
      expect(has('search', 'q')).toBe(true);
      expect(has('user', 'u2')).toBe(true);
      expect(has('user', 'untagged')).toBe(true);

      expect(store.dropTags(['videos', 'user:2', 'never-used'])).toBe(2);
      expect(store.usage().entries).toBe(1);
    });

    it('an entry re-stored without a tag is no longer reached by that tag', () => {
      const { store, put, has } = memoryStore();
      put('user', 'u1', 'tagged', ['t']);
      put('user', 'u1', 'untagged now');
      expect(store.dropTags(['t'])).toBe(0);
      expect(has('user', 'u1')).toBe(true);
    });

    it('the tag index lets go of entries that L1 evicted, dropped or expired', () => {
      const { store, put, key, clock } = memoryStore({ l1: { maxEntries: 20 }, policies: only(halves) });
      // Reading a private field: the only way to see that the index does not grow without bound.
      const tagIndex = (store as unknown as { tagIndex: Map<string, Set<string>> }).tagIndex;

      for (let i = 0; i < 1_000; i++) put('alpha', ['e', i], i, [`tag-${i}`, 'shared']);
      expect(store.usage().namespaces.alpha!.entries).toBe(10);
      expect(tagIndex.size).toBe(11); // the 10 live entries' own tags, and the shared one
      expect(tagIndex.get('shared')!.size).toBe(10);
      // Evicting a tag whose entries are all gone is a no-op, not an error.
      expect(store.dropTags(['tag-0', 'tag-500'])).toBe(0);

      store.drop('alpha', key('alpha', ['e', 999]));
      expect(tagIndex.has('tag-999')).toBe(false);
      store.dropMatching('alpha', patternGlob(['e', ANY]));
      expect(tagIndex.size).toBe(0);

      store.put('alpha', key('alpha', 'short'), {
        value: 1,
        freshUntil: clock.time + 1,
        graceMs: 0,
        tags: ['short-lived'],
      });
      clock.advance(1);
      expect(store.lookup('alpha', key('alpha', 'short'), clock.time)).toBeUndefined();
      expect(tagIndex.size).toBe(0);

      put('alpha', 'n', 1, ['ns']);
      store.dropNamespace('alpha');
      expect(tagIndex.size).toBe(0);
    });
  });

  describe('dropMatching', () => {
    it('treats glob characters in the data as literals: only what a literal match would remove goes', () => {
      const { store, put, has } = memoryStore();
      const keys: CacheKey[] = [
        ['page*', 1],
        ['page*', 2],
        ['page1', 1],
        ['pageX', 1],
        ['page', 1],
        ['page?', 1],
        ['page[1]', 1],
        ['page\\', 1],
        ['page%2A', 1],
        ['page*', 'a:b'],
      ];
      for (const k of keys) put('video', k, 'v');

      expect(store.dropMatching('video', patternGlob(['page*', ANY]))).toBe(3);
      expect(keys.filter((k) => has('video', k))).toEqual([
        ['page1', 1],
        ['pageX', 1],
        ['page', 1],
        ['page?', 1],
        ['page[1]', 1],
        ['page\\', 1],
        ['page%2A', 1],
      ]);

      expect(store.dropMatching('video', patternGlob(['page?', ANY]))).toBe(1);
      expect(store.dropMatching('video', patternGlob(['page[1]', ANY]))).toBe(1);
      expect(store.dropMatching('video', patternGlob(['page\\', ANY]))).toBe(1);
      expect(keys.filter((k) => has('video', k))).toEqual([
        ['page1', 1],
        ['pageX', 1],
        ['page', 1],
        ['page%2A', 1],
      ]);
    });

    it('stays inside its namespace', () => {
      const { store, put, has } = memoryStore();
      put('video', ['v', 1], 'in video');
      put('search', ['v', 1], 'in search');
      expect(store.dropMatching('video', '*')).toBe(1);
      expect(has('search', ['v', 1])).toBe(true);
    });
  });

  it('refuses an unknown namespace with a message naming it', () => {
    const { store } = memoryStore();
    expect(() => store.lookup('nope', `${PREFIX}:nope:x`, 0)).toThrow(/nope/);
  });
});

describe('MemoryStore (L1), eviction lru', () => {
  const memoryStore = (options: CacheModuleOptions = {}) => storeWith('lru', options);

  describe('least recently used goes first', () => {
    it('evicts the entry read longest ago, not the one written longest ago', () => {
      const { put, has, store } = memoryStore({ l1: { maxEntries: 6 }, policies: only(halves) });
      put('alpha', 'a', 1);
      put('alpha', 'b', 2);
      put('alpha', 'c', 3);
      expect(has('alpha', 'a')).toBe(true); // a is now the most recently used
      put('alpha', 'd', 4);
      expect(has('alpha', 'b')).toBe(false);
      expect(has('alpha', 'a')).toBe(true);
      expect(has('alpha', 'c')).toBe(true);
      expect(has('alpha', 'd')).toBe(true);
      expect(store.usage().namespaces.alpha!.pressureEvictions).toBe(1);
    });

    it('evicts by bytes in the same order', () => {
      const { put, has } = memoryStore({ l1: { maxBytes: 200 * KB }, policies: only(halves) });
      put('alpha', 'a', blob(30 * KB));
      put('alpha', 'b', blob(30 * KB));
      put('alpha', 'c', blob(30 * KB));
      has('alpha', 'a');
      put('alpha', 'd', blob(30 * KB));
      expect([has('alpha', 'a'), has('alpha', 'b'), has('alpha', 'c'), has('alpha', 'd')]).toEqual([
        true,
        false,
        true,
        true,
      ]);
    });
  });
});

describe('MemoryStore (L1), eviction policy per namespace', () => {
  it('builds each slice with its policy’s eviction: tinylfu by default, lru on request', () => {
    const { store } = storeWith('tinylfu', { policies: { alpha: { l1Share: 0.1, eviction: 'lru' } } });
    const plain = memoryStoreOf({ policies: { alpha: { l1Share: 0.1, eviction: 'lru' } } }).store;
    expect(plain.usage().namespaces.video!.eviction).toBe('tinylfu');
    expect(plain.slice('video').lru).toBeInstanceOf(WTinyLfuIndex);
    expect(plain.usage().namespaces.alpha!.eviction).toBe('lru');
    expect(plain.slice('alpha').lru).toBeInstanceOf(LRUCache);
    expect(store.slice('video').lru).toBeInstanceOf(WTinyLfuIndex);
  });

  it.each(L1_EVICTIONS)(
    'under %s, keeps its keys sequential: not views into the full keys it was given',
    (eviction) => {
      const { store, put } = storeWith(eviction, { policies: { alpha: { l1Share: 0.1, eviction } } });
      const id = `vid_${String(Math.random()).slice(2, 10)}`;
      put('video', ['video', id], { id });
      put('alpha', ['item', id, 2], { id });
      const keys = [...store.slice('video').lru.keys(), ...store.slice('alpha').lru.keys()];
      expect(keys).toEqual([`video:${id}`, `item:${id}:2`]);
      // A `Map` compares a sliced key with the one it is asked for through V8's runtime.
      for (const key of keys) expect(isSequentialOneByte(key)).toBe(true);
    },
  );

  it('under tinylfu, a scan of cold keys leaves a namespace’s hot entries in place; under lru it flushes them', () => {
    const hotAfterScan = (eviction: L1Eviction) => {
      const { put, has } = storeWith(eviction, { l1: { maxEntries: 200 }, policies: only(halves) });
      for (let round = 0; round < 10; round++)
        for (let i = 0; i < 40; i++) if (!has('alpha', ['hot', i])) put('alpha', ['hot', i], i);
      for (let i = 0; i < 500; i++) if (!has('alpha', ['scan', i])) put('alpha', ['scan', i], i);
      return Array.from({ length: 40 }, (_, i) => has('alpha', ['hot', i])).filter(Boolean).length;
    };
    expect(hotAfterScan('tinylfu')).toBe(40);
    expect(hotAfterScan('lru')).toBe(0);
  });

  it('a newcomer turned away at admission is not reachable by its tags', () => {
    const { store, put, has } = storeWith('tinylfu', { l1: { maxEntries: 20 }, policies: only(halves) });
    const tagIndex = (store as unknown as { tagIndex: Map<string, Set<string>> }).tagIndex;
    for (let i = 0; i < 200; i++) put('alpha', ['e', i], i, [`tag-${i}`]);
    const stored = Array.from({ length: 200 }, (_, i) => i).filter((i) => has('alpha', ['e', i]));
    expect(stored).toHaveLength(10);
    expect(tagIndex.size).toBe(10);
  });
});

describe('MemoryStore (L1), hit ratio at twice the size', () => {
  it.each(L1_EVICTIONS)(
    '%s: on a loop a little larger than the slice, a slice twice as large would hit every time',
    (eviction) => {
      const { store, put, has } = storeWith(eviction, { l1: { maxEntries: 200 }, policies: only(halves) });
      for (let round = 0; round < 20; round++)
        for (let i = 0; i < 120; i++) if (!has('alpha', ['loop', i])) put('alpha', ['loop', i], i);
      const alpha = store.usage().namespaces.alpha!;
      expect(alpha.lookups).toBe(2_400);
      expect(alpha.hitRatioAt2x).toBeGreaterThan(0.9);
      expect(alpha.hitRatioAt2x - alpha.hitRatio).toBeGreaterThan(0.1);
    },
  );

  it('lru on that loop: never a hit, and the estimate says twice the size would hit nearly always', () => {
    const { store, put, has } = storeWith('lru', { l1: { maxEntries: 200 }, policies: only(halves) });
    for (let round = 0; round < 20; round++)
      for (let i = 0; i < 120; i++) if (!has('alpha', ['loop', i])) put('alpha', ['loop', i], i);
    const alpha = store.usage().namespaces.alpha!;
    expect(alpha.hitRatio).toBe(0);
    expect(alpha.hitRatioAt2x).toBeCloseTo(19 / 20, 5);
  });

  it('equals the hit ratio when nothing was ever evicted: a larger slice would not help', () => {
    const { store, put, has } = storeWith('tinylfu', { l1: { maxEntries: 200 }, policies: only(halves) });
    for (let round = 0; round < 10; round++)
      for (let i = 0; i < 50; i++) if (!has('alpha', ['k', i])) put('alpha', ['k', i], i);
    const alpha = store.usage().namespaces.alpha!;
    expect(alpha.hitRatio).toBeCloseTo(0.9, 5);
    expect(alpha.hitRatioAt2x).toBe(alpha.hitRatio);
  });

  it('forgets its ghosts when the namespace is cleared', () => {
    const { store, put, has } = storeWith('lru', { l1: { maxEntries: 20 }, policies: only(halves) });
    for (let i = 0; i < 20; i++) put('alpha', ['k', i], i);
    store.dropNamespace('alpha');
    for (let i = 0; i < 20; i++) has('alpha', ['k', i]);
    expect(store.usage().namespaces.alpha!.hitRatioAt2x).toBe(0);
  });
});
