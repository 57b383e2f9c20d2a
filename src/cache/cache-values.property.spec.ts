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
import { fullKey, type CacheKey } from './cache-keys.js';

// ---------------------------------------------------------------- exact comparison

/**
 * The first difference between two values, or `undefined` when they are the same data: primitives
 * by `Object.is` (so -0 is not 0 and NaN is NaN), dates by time value (an invalid date equals an
 * invalid date), arrays and objects by their own property keys *in order* (so an own `__proto__`
 * key or a hole counts) and values, maps and sets by entries in order. It works across realms
 * (V8's deserializer builds objects in Node's main realm, not in Jest's), which `toStrictEqual` and
 * `instanceof` do not.
 */
function difference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (typeof a !== typeof b) return `${path}: ${typeof a} vs ${typeof b}`;
  if (typeof a !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? undefined : `${path}: ${show(a)} vs ${show(b)}`;
  }
  const x = a as object;
  const y = b as object;
  const kind = kindOf(x);
  if (kind !== kindOf(y)) return `${path}: ${kind} vs ${kindOf(y)}`;
  if (kind === 'date') {
    const [tx, ty] = [(x as Date).getTime(), (y as Date).getTime()];
    return Object.is(tx, ty) ? undefined : `${path}: date ${tx} vs ${ty}`;
  }
  if (kind === 'map' || kind === 'set') {
    const ex = [...(x as Map<unknown, unknown>).entries()];
    const ey = [...(y as Map<unknown, unknown>).entries()];
    if (ex.length !== ey.length) return `${path}: ${ex.length} vs ${ey.length} entries`;
    for (let i = 0; i < ex.length; i++) {
      const d =
        difference(ex[i]![0], ey[i]![0], `${path}<key ${i}>`) ??
        difference(ex[i]![1], ey[i]![1], `${path}<${i}>`);
      if (d) return d;
    }
    return undefined;
  }
  if (kind === 'other') return `${path}: cannot compare ${Object.prototype.toString.call(x)}`;
  const kx = Reflect.ownKeys(x);
  const ky = Reflect.ownKeys(y);
  if (kx.length !== ky.length || kx.some((k, i) => k !== ky[i])) {
    return `${path}: keys ${show(kx.map(String))} vs ${show(ky.map(String))}`;
  }
  for (const k of kx) {
    const dx = Object.getOwnPropertyDescriptor(x, k)!;
    const dy = Object.getOwnPropertyDescriptor(y, k)!;
    if (!('value' in dx) || !('value' in dy)) return `${path}.${String(k)}: accessor property`;
    if (dx.enumerable !== dy.enumerable) return `${path}.${String(k)}: enumerability differs`;
    const d = difference(dx.value, dy.value, `${path}.${String(k)}`);
    if (d) return d;
  }
  return undefined;
}

function kindOf(value: object): 'date' | 'array' | 'map' | 'set' | 'object' | 'null-proto' | 'other' {
  if (types.isDate(value)) return 'date';
  if (Array.isArray(value)) return 'array';
  if (types.isMap(value)) return 'map';
  if (types.isSet(value)) return 'set';
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null) return 'null-proto';
  // `Object.prototype` of whichever realm built it.
  if (Object.getPrototypeOf(proto) === null) return 'object';
  return 'other';
}

const show = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Object.is(value, -0)) return '-0';
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
};

/** Whether a value as served by the cache can be changed through any reference it hands out. */
function mutableSpot(value: unknown, path = '$'): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (!Object.isFrozen(value)) return `${path} is not frozen`;
  if (types.isDate(value)) {
    const date = value as Date;
    try {
      date.setTime(date.getTime()); // a no-op on the value, if it does not throw
    } catch (error) {
      return error instanceof TypeError ? undefined : `${path}: setTime threw ${String(error)}`;
    }
    return `${path}: setTime did not throw`;
  }
  for (const k of Reflect.ownKeys(value)) {
    const spot = mutableSpot((value as Record<PropertyKey, unknown>)[k], `${path}.${String(k)}`);
    if (spot) return spot;
  }
  return undefined;
}

// ---------------------------------------------------------------- arbitraries

/** Strings that other serializers (telejson, cache-manager-ioredis-yet, superjson …) treat as type tags. */
const LOOKALIKES = [
  '_date_2020-01-01T00:00:00.000Z',
  '_function_foo|function(){}',
  '_function_x|() => process.exit(1)',
  '_regexp_/x/g',
  '_undefined_',
  '_bigint_1',
  '_NaN_',
  ':base64:aGVsbG8=',
  '__proto__',
  '{"__proto__":{}}',
  '{"__proto__":{"polluted":true}}',
  '{"type":"Buffer","data":[104,105]}',
  'constructor',
  '',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const text = fc.oneof(
  { arbitrary: fc.constantFrom(...LOOKALIKES), weight: 3 },
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'grapheme-composite' }),
  fc.string({ unit: fc.oneof(loneSurrogate, fc.constantFrom('a', '\u0000', '😀', '\uFEFF', '%2A', ':')) }),
);
const number = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      -0,
      0,
      NaN,
      Infinity,
      -Infinity,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 53 + 2,
    ),
    weight: 2,
  },
  fc.double(),
  fc.integer(),
);
// `fc.constant(null).map` builds a new object per value, so no two values share one date.
const date = fc.oneof(
  fc.date({ noInvalidDate: true }),
  fc.constant(null).map(() => new Date(NaN)),
  fc.constant(null).map(() => new Date(-0)),
);
const leaf = fc.oneof(
  text,
  number,
  fc.boolean(),
  fc.constant(null),
  date,
  fc.bigInt(),
  fc.constant(undefined),
);
const key = fc.oneof(
  text,
  fc.constantFrom('__proto__', 'constructor', 'toString', 'length', '0', '1', '-1', '01', '1e3'),
);

/** An object with exactly these own properties, `__proto__` included (a literal would set the prototype). */
function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(object, k, { value: v, enumerable: true, writable: true, configurable: true });
  return object;
}

const { value: nested } = fc.letrec((tie) => ({
  value: fc.oneof({ maxDepth: 4, depthSize: 'small' }, leaf, tie('array'), tie('object'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.oneof(
    { arbitrary: fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map(objectOf), weight: 5 },
    fc
      .constant(null)
      .map(() => JSON.parse('{"__proto__": 1, "a": {"__proto__": {"polluted": true}}}') as unknown),
  ),
}));

/** What `wrap` can cache: anything but a top-level `undefined` (which means "nothing to store"). */
const cacheable = nested.filter((v) => v !== undefined);

/** Strings of 100-300 KB of arbitrary unicode. */
const bigText = fc
  .tuple(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
    fc.integer({ min: 100 * 1024, max: 300 * 1024 }),
  )
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));
const big = fc.oneof(
  bigText,
  fc.record({ body: bigText, meta: nested }, { noNullPrototype: true }),
  fc.array(bigText, { minLength: 1, maxLength: 2 }),
);

/**
 * `fc.check`, throwing on failure with a shortened counterexample (values here can be 300 KB
 * strings, which `fc.assert` would print in full). Resolves how many values were checked.
 */
async function checkProperty<T>(property: fc.IAsyncProperty<T>, numRuns: number): Promise<number> {
  const details = await fc.check(property, { numRuns });
  if (!details.failed) return details.numRuns;
  const example = fc.stringify(details.counterexample);
  const shown =
    example.length > 2_000 ? `${example.slice(0, 2_000)}… (${example.length} characters)` : example;
  throw new Error(
    `property failed after ${details.numRuns} runs (seed ${details.seed}, path "${details.counterexamplePath}")\n` +
      `counterexample: ${shown}\n${String(details.errorInstance)}`,
  );
}

// ---------------------------------------------------------------- the comparison helper is itself tested

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

describe('every value round-trips exactly through L1, L2 and the compressed path', () => {
  let redis: Redis;
  let prefix: string;
  let clock: FakeClock;
  let writer: HybridHandle;
  let reader: HybridHandle;
  let seq = 0;

  beforeEach(async () => {
    prefix = uniquePrefix('values');
    clock = new FakeClock(CLOCK_START);
    const options = { prefix, redisUrl: TEST_REDIS_URL, policies, now: clock.now };
    // Two replicas on the same prefix: the second has an empty L1, so its first read comes from Redis.
    writer = await createHybrid(options);
    reader = await createHybrid(options);
  });

  afterEach(async () => {
    await Promise.all([writer.close(), reader.close()]);
    await deletePrefix(redis, prefix);
  });

  beforeAll(() => {
    redis = rawClient();
  });

  afterAll(async () => {
    await redis.quit();
  });

  const never = () => Promise.reject(new Error('the source must not be called on a hit'));

  async function checkRoundTrip(value: unknown, namespace: Namespace): Promise<void> {
    const key: CacheKey = ['value', ++seq];
    const snapshot = structuredClone(value);
    const l2HitsBefore = reader.cache.stats().namespaces[namespace]!.l2.hits;

    const miss = await writer.cache.wrap(namespace, key, async () => value);
    const l1Hit = await writer.cache.wrap(namespace, key, never);
    const l2Hit = await reader.cache.wrap(namespace, key, never);
    const l1HitAfterL2 = await reader.cache.wrap(namespace, key, never);

    // The reader's first read came from Redis, not from a load.
    expect(reader.cache.stats().namespaces[namespace]!.l2.hits).toBe(l2HitsBefore + 1);
    const stored = await redis.getBuffer(fullKey(prefix, namespace, key));
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
    const served = await writer.cache.wrap('plain', 'bare', async () => bare);
    expect(Object.getPrototypeOf(Object.getPrototypeOf(served))).toBeNull();
    expect(difference(served, { a: 1, nested: [2] })).toBeUndefined();
  });

  it('compressed entries of repetitive data are smaller in Redis than uncompressed ones', async () => {
    const value = { rows: Array.from({ length: 2_000 }, (_, i) => ({ id: i % 10, title: 'same title' })) };
    await writer.cache.wrap('plain', 'rows', async () => value);
    await writer.cache.wrap('packed', 'rows', async () => value);
    const plain = await redis.getBuffer(fullKey(prefix, 'plain', 'rows'));
    const packed = await redis.getBuffer(fullKey(prefix, 'packed', 'rows'));
    expect(packed!.length).toBeLessThan(plain!.length / 10);
    expect(difference(await reader.cache.wrap('packed', 'rows', never), value)).toBeUndefined();
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
  let redis: Redis;
  let prefix: string;
  let writer: HybridHandle;
  let reader: HybridHandle;

  beforeEach(async () => {
    prefix = uniquePrefix('immutable');
    const clock = new FakeClock(CLOCK_START);
    const options = { prefix, redisUrl: TEST_REDIS_URL, policies, now: clock.now };
    writer = await createHybrid(options);
    reader = await createHybrid(options);
  });

  afterEach(async () => {
    await Promise.all([writer.close(), reader.close()]);
    await deletePrefix(redis, prefix);
  });

  beforeAll(() => {
    redis = rawClient();
  });

  afterAll(async () => {
    await redis.quit();
  });

  /** The value from a miss, an L1 hit and an L2 hit (the reader), each read twice. */
  async function reads<T>(key: string, load: () => T): Promise<Record<string, () => Promise<T>>> {
    await writer.cache.wrap('plain', key, async () => load());
    const never = jest.fn(async (): Promise<T> => {
      throw new Error('no load expected');
    });
    return {
      writer: () => writer.cache.wrap('plain', key, never),
      reader: () => reader.cache.wrap('plain', key, never),
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
    await writer.cache.wrap('plain', 'own', async () => mine);
    expect(Object.isFrozen(mine)).toBe(false);
    mine.title = 'changed';
    mine.tags.push('b');
    const cached = await writer.cache.wrap('plain', 'own', async () => ({ title: 'reloaded', tags: [] }));
    expect(difference(cached, { title: 'original', tags: ['a'] })).toBeUndefined();
  });

  it('a value stored with set() is copied and frozen the same way', async () => {
    const mine = { title: 'put', at: new Date(1) };
    await writer.cache.set('plain', 'put', mine);
    mine.title = 'changed';
    const value = await writer.cache.wrap('plain', 'put', async () => ({ title: 'loaded', at: new Date(2) }));
    expect(difference(value, { title: 'put', at: new Date(1) })).toBeUndefined();
    expect(mutableSpot(value)).toBeUndefined();
  });
});
