import { jest } from '@jest/globals';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { serialize } from 'node:v8';
import { types } from 'node:util';
import { FakeClock } from '../../test/fixtures/clock.js';
import {
  createHybrid,
  deletePrefix,
  rawClient,
  TEST_REDIS_URL,
  uniquePrefix,
  type HybridHandle,
} from '../../test/fixtures/redis.js';
import {
  big,
  cacheable,
  checkProperty,
  difference,
  LOOKALIKES,
  mutableSpot,
  objectOf,
} from '../../test/fixtures/cache-values.js';
import { fullKey, type CacheKey } from './cache-keys.js';

describe('the exact comparison used below', () => {
  it('tells apart what toEqual would confuse', () => {
    expect(difference(-0, 0)).toBeDefined();
    expect(difference([-0], [0])).toBeDefined();
    expect(difference(new Date(1), new Date(2))).toBeDefined();
    expect(difference(new Date(0), '1970-01-01T00:00:00.000Z')).toBeDefined();
    expect(difference({ a: undefined }, {})).toBeDefined();
    expect(difference(JSON.parse('{"__proto__": 1}'), {})).toBeDefined();
    expect(difference(JSON.parse('{"__proto__": 1}'), JSON.parse('{"__proto__": 2}'))).toBeDefined();
    expect(difference({ a: 1, b: 2 }, { b: 2, a: 1 })).toBeDefined();
    const holey = [1, 2, 3];
    delete holey[1];
    expect(difference(holey, [1, undefined, 3])).toBeDefined();
    expect(difference({ 0: 'a', length: 1 }, ['a'])).toBeDefined();
    expect(difference(1n, 1)).toBeDefined();
    expect(difference('a\uD800', 'a\uFFFD')).toBeDefined();
    expect(difference(new Map([[1, 'a']]), new Map([[1, 'b']]))).toBeDefined();
    expect(difference(new Map([[1, 'a']]), { 1: 'a' })).toBeDefined();
  });

  it('accepts the same data, across realms and frozen or not', () => {
    expect(difference(NaN, NaN)).toBeUndefined();
    expect(difference(new Date(NaN), new Date(NaN))).toBeUndefined();
    expect(
      difference({ a: [1, { b: new Date(5) }] }, Object.freeze({ a: [1, { b: new Date(5) }] })),
    ).toBeUndefined();
    expect(
      difference(JSON.parse('{"__proto__": [1]}'), structuredClone(JSON.parse('{"__proto__": [1]}'))),
    ).toBeUndefined();
    expect(difference(new Map([[1, [2]]]), structuredClone(new Map([[1, [2]]])))).toBeUndefined();
  });

  it('finds a value that can still be changed', () => {
    expect(mutableSpot({ a: 1 })).toBeDefined();
    expect(mutableSpot(Object.freeze({ a: Object.freeze([{}]) }))).toBe('$.a.0 is not frozen');
    expect(mutableSpot(Object.freeze(new Date(0)))).toBe('$: setTime did not throw');
    expect(mutableSpot(Object.freeze({ n: 1, s: 'x' }))).toBeUndefined();
  });
});

// ---------------------------------------------------------------- the property

const CLOCK_START = Date.UTC(2026, 0, 1);
const policies = {
  // Never compressed (2^31 is the largest threshold a policy accepts), always compressed.
  plain: { jitter: 0, compressAboveBytes: 2 ** 31, l1Share: 0.3 },
  packed: { jitter: 0, compressAboveBytes: 0, l1Share: 0.3 },
};
type Namespace = keyof typeof policies;

/**
 * Two replicas on one fresh prefix, sharing a clock: the reader has an empty L1, so its first read
 * of what the writer stored comes from Redis. Registers its own set-up and clean-up hooks.
 */
function twoReplicas(label: string) {
  const replicas = {} as {
    redis: Redis;
    prefix: string;
    clock: FakeClock;
    writer: HybridHandle;
    reader: HybridHandle;
  };
  beforeAll(() => {
    replicas.redis = rawClient();
  });
  afterAll(() => replicas.redis.quit());
  beforeEach(async () => {
    replicas.prefix = uniquePrefix(label);
    replicas.clock = new FakeClock(CLOCK_START);
    const options = { prefix: replicas.prefix, redisUrl: TEST_REDIS_URL, policies, now: replicas.clock.now };
    replicas.writer = await createHybrid(options);
    replicas.reader = await createHybrid(options);
  });
  afterEach(async () => {
    await Promise.all([replicas.writer.close(), replicas.reader.close()]);
    await deletePrefix(replicas.redis, replicas.prefix);
  });
  return replicas;
}

describe('every value round-trips exactly through L1, L2 and the compressed path', () => {
  const replicas = twoReplicas('values');
  let seq = 0;

  const never = () => Promise.reject(new Error('the source must not be called on a hit'));

  async function checkRoundTrip(value: unknown, namespace: Namespace): Promise<void> {
    const key: CacheKey = ['value', ++seq];
    const snapshot = structuredClone(value);
    const l2HitsBefore = replicas.reader.cache.stats().namespaces[namespace]!.l2.hits;

    const miss = await replicas.writer.cache.wrap(namespace, key, async () => value);
    const l1Hit = await replicas.writer.cache.wrap(namespace, key, never);
    const l2Hit = await replicas.reader.cache.wrap(namespace, key, never);
    // The reader's first read came from Redis, not from a load. Counted before the next read: that
    // one comes from L1, or from Redis again when the event loop was held up long enough (300 KB
    // strings under CI load) for the bus to go deaf, which is the cache doing its job.
    expect(replicas.reader.cache.stats().namespaces[namespace]!.l2.hits).toBe(l2HitsBefore + 1);
    const l1HitAfterL2 = await replicas.reader.cache.wrap(namespace, key, never);

    const stored = await replicas.redis.getBuffer(fullKey(replicas.prefix, namespace, key));
    expect(stored![2]! & 1).toBe(namespace === 'packed' ? 1 : 0); // the deflate flag

    const served = { miss, l1Hit, l2Hit, l1HitAfterL2 };
    for (const [tier, result] of Object.entries(served)) {
      const diff = difference(result, value);
      if (diff) throw new Error(`${namespace} ${tier}: ${diff}`);
      const spot = mutableSpot(result);
      if (spot) throw new Error(`${namespace} ${tier}: ${spot}`);
    }
    // The caller's own value was copied, neither frozen nor changed.
    expect(difference(value, snapshot)).toBeUndefined();
    expect(typeof value === 'object' && value !== null && Object.isFrozen(value)).toBe(false);
  }

  it('nested JSON-like values, dates, unicode, numbers, type-tag lookalikes and own __proto__ keys', async () => {
    const checked = await checkProperty(
      fc.asyncProperty(cacheable, async (value) => {
        await checkRoundTrip(value, 'plain');
        await checkRoundTrip(value, 'packed');
      }),
      200,
    );
    expect(checked).toBe(200);
  });

  it('each type-tag lookalike alone, nested and as a key', async () => {
    let checked = 0;
    for (const text of LOOKALIKES) {
      for (const value of [
        text,
        [text],
        objectOf([[text, text]]),
        { deep: { list: [text, { [text]: [text] }] } },
      ]) {
        await checkRoundTrip(value, 'plain');
        await checkRoundTrip(value, 'packed');
        checked++;
      }
    }
    expect(checked).toBe(LOOKALIKES.length * 4);
  });

  it('large strings (100-300 KB)', async () => {
    const checked = await checkProperty(
      fc.asyncProperty(big, async (value) => {
        expect(serialize(value).length).toBeGreaterThan(100 * 1024);
        await checkRoundTrip(value, 'plain');
        await checkRoundTrip(value, 'packed');
      }),
      6,
    );
    expect(checked).toBe(6);
  });

  it('an object without a prototype comes back as a plain object with the same data (V8 structured clone)', async () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, nested: [2] });
    const served = await replicas.writer.cache.wrap('plain', 'bare', async () => bare);
    expect(Object.getPrototypeOf(Object.getPrototypeOf(served))).toBeNull();
    expect(difference(served, { a: 1, nested: [2] })).toBeUndefined();
  });

  it('compressed entries of repetitive data are smaller in Redis than uncompressed ones', async () => {
    const value = { rows: Array.from({ length: 2_000 }, (_, i) => ({ id: i % 10, title: 'same title' })) };
    await replicas.writer.cache.wrap('plain', 'rows', async () => value);
    await replicas.writer.cache.wrap('packed', 'rows', async () => value);
    const plain = await replicas.redis.getBuffer(fullKey(replicas.prefix, 'plain', 'rows'));
    const packed = await replicas.redis.getBuffer(fullKey(replicas.prefix, 'packed', 'rows'));
    expect(packed!.length).toBeLessThan(plain!.length / 10);
    expect(difference(await replicas.reader.cache.wrap('packed', 'rows', never), value)).toBeUndefined();
  });
});

// ---------------------------------------------------------------- immutability

/**
 * Expects `act` to throw a TypeError. By name, not `instanceof`: an error thrown by a method of a
 * value V8 deserialized (`push` on a frozen array) comes from Node's main realm, not from Jest's.
 */
function expectTypeError(act: () => unknown): void {
  let thrown: unknown;
  try {
    act();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeDefined();
  expect((thrown as Error).name).toBe('TypeError');
}

describe('a caller cannot change what the cache serves next', () => {
  const replicas = twoReplicas('immutable');

  /** The value from a miss, an L1 hit and an L2 hit (the reader), each read twice. */
  async function reads<T>(key: string, load: () => T): Promise<Record<string, () => Promise<T>>> {
    await replicas.writer.cache.wrap('plain', key, async () => load());
    const never = jest.fn(async (): Promise<T> => {
      throw new Error('no load expected');
    });
    return {
      writer: () => replicas.writer.cache.wrap('plain', key, never),
      reader: () => replicas.reader.cache.wrap('plain', key, never),
    };
  }

  it('a returned object is frozen: assigning, adding, deleting or pushing throws a TypeError', async () => {
    const load = () => ({ title: 'original', tags: ['a'], owner: { name: 'ada' } });
    for (const read of Object.values(await reads('object', load))) {
      const value = (await read()) as unknown as Record<string, unknown> & {
        tags: string[];
        owner: { name: string };
      };
      expectTypeError(() => {
        value.title = 'changed';
      });
      expectTypeError(() => {
        value.added = 1;
      });
      expectTypeError(() => delete value.title);
      expectTypeError(() => value.tags.push('b'));
      expectTypeError(() => {
        value.owner.name = 'eve';
      });
      expectTypeError(() => Object.setPrototypeOf(value, { polluted: true }));
      expect(difference(await read(), load())).toBeUndefined();
    }
  });

  it('a returned date refuses every setter', async () => {
    const load = () => ({ at: new Date(Date.UTC(2024, 4, 6)), list: [new Date(0)] });
    const setters = Object.getOwnPropertyNames(Date.prototype).filter((name) => name.startsWith('set'));
    expect(setters.length).toBeGreaterThanOrEqual(15);
    for (const read of Object.values(await reads('date', load))) {
      const value = await read();
      for (const date of [value.at, value.list[0]!]) {
        expect(types.isDate(date)).toBe(true);
        for (const setter of setters) {
          expectTypeError(() => (date as unknown as Record<string, (n: number) => void>)[setter]!(1));
        }
      }
      expect(difference(await read(), load())).toBeUndefined();
    }
  });

  it('a top-level date or array is immutable too', async () => {
    for (const read of Object.values(await reads('top-date', () => new Date(123)))) {
      const value = await read();
      expectTypeError(() => value.setFullYear(1999));
      expect((await read()).getTime()).toBe(123);
    }
    for (const read of Object.values(await reads('top-array', () => [1, [2]]))) {
      const value = (await read()) as unknown[];
      expectTypeError(() => value.push(3));
      expectTypeError(() => (value[1] as number[]).pop());
      expect(difference(await read(), [1, [2]])).toBeUndefined();
    }
  });

  it('a date referenced twice in a value is immutable through both references', async () => {
    const load = () => {
      const shared = new Date(Date.UTC(2020, 0, 1));
      return { created: shared, updated: shared, history: [shared] };
    };
    for (const read of Object.values(await reads('shared-date', load))) {
      const value = await read();
      for (const date of [value.created, value.updated, value.history[0]!]) {
        expectTypeError(() => date.setTime(0));
      }
      expect(difference(await read(), load())).toBeUndefined();
    }
  });

  it('a value holding a map is cloned per read: changing one copy does not reach the next read', async () => {
    const load = () => ({
      counts: new Map<string, number>([['a', 1]]),
      seen: new Set(['x']),
      at: new Date(5),
    });
    for (const read of Object.values(await reads('map', load))) {
      const first = await read();
      first.counts.set('b', 2);
      first.counts.delete('a');
      first.seen.add('y');
      const second = await read();
      expect(second).not.toBe(first);
      expect(second.counts).not.toBe(first.counts);
      expect(difference(second, load())).toBeUndefined();
    }
  });

  it('the object a loader returned stays the caller’s: not frozen, and changing it changes nothing cached', async () => {
    const mine = { title: 'original', tags: ['a'] };
    await replicas.writer.cache.wrap('plain', 'own', async () => mine);
    expect(Object.isFrozen(mine)).toBe(false);
    mine.title = 'changed';
    mine.tags.push('b');
    const cached = await replicas.writer.cache.wrap('plain', 'own', async () => ({
      title: 'reloaded',
      tags: [],
    }));
    expect(difference(cached, { title: 'original', tags: ['a'] })).toBeUndefined();
  });

  it('a value stored with set() is copied and frozen the same way', async () => {
    const mine = { title: 'put', at: new Date(1) };
    await replicas.writer.cache.set('plain', 'put', mine);
    mine.title = 'changed';
    const value = await replicas.writer.cache.wrap('plain', 'put', async () => ({
      title: 'loaded',
      at: new Date(2),
    }));
    expect(difference(value, { title: 'put', at: new Date(1) })).toBeUndefined();
    expect(mutableSpot(value)).toBeUndefined();
  });
});
