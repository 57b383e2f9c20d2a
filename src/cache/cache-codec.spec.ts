import fc from 'fast-check';
import { jest } from '@jest/globals';
import { types } from 'node:util';
import { serialize } from 'node:v8';
import { deflateRawSync } from 'node:zlib';
import {
  CacheDecodeError,
  decodeEntry,
  encodeEntry,
  isTombstone,
  readFreshUntil,
  TOMBSTONE_MARK,
} from './cache-codec.js';

const NEVER = Number.MAX_SAFE_INTEGER;
const FRESH_UNTIL = Date.UTC(2026, 0, 1, 12);

/** Builds an entry by hand: magic, version, flags, reserved, freshUntil, payload. */
function entry(
  payload: Buffer,
  { magic = 0x56, version = 1, flags = 0, freshUntil = FRESH_UNTIL } = {},
): Buffer {
  const header = Buffer.alloc(12);
  header[0] = magic;
  header[1] = version;
  header[2] = flags;
  header.writeDoubleLE(freshUntil, 4);
  return Buffer.concat([header, payload]);
}

/** Resolves the error `decodeEntry` rejects with (failing if it resolves). */
async function decodeFailure(bytes: Buffer): Promise<unknown> {
  try {
    await decodeEntry(bytes);
  } catch (error) {
    return error;
  }
  throw new Error(`decoded ${bytes.toString('hex').slice(0, 64)} without an error`);
}

/** How decoding ends: `decoded`, `CacheDecodeError`, or the other error that escaped. */
const outcome = (bytes: Buffer): Promise<string> =>
  decodeEntry(bytes).then(
    () => 'decoded',
    (error: unknown) =>
      error instanceof CacheDecodeError ? 'CacheDecodeError' : `another error: ${String(error)}`,
  );

describe('encodeEntry / decodeEntry', () => {
  it.each([
    ['a string', 'hello'],
    ['an empty string', ''],
    ['null', null],
    ['undefined', undefined],
    ['-0', -0],
    ['NaN', NaN],
    ['Infinity', -Infinity],
    ['a big integer', 12345678901234567890n],
    ['a date', new Date(Date.UTC(2020, 1, 29))],
    [
      'nested data',
      { user: { id: 1, tags: ['a', 'b'], at: new Date(0), nothing: null, missing: undefined } },
    ],
    [
      'a map and a set',
      {
        m: new Map<unknown, unknown>([
          [1, 'one'],
          ['k', { v: [1] }],
        ]),
        s: new Set([1, 'x']),
      },
    ],
    ['a typed array', new Uint8Array([1, 2, 255])],
  ])('round-trips %s exactly', async (_, value) => {
    const { bytes } = await encodeEntry(value, FRESH_UNTIL, NEVER);
    const decoded = await decodeEntry(bytes);
    expect(decoded.value).toStrictEqual(value);
    expect(decoded.freshUntil).toBe(FRESH_UNTIL);
  });

  it('round-trips an invalid date as an invalid date', async () => {
    const decoded = await decodeEntry((await encodeEntry(new Date(NaN), FRESH_UNTIL, NEVER)).bytes);
    // By brand, not instanceof: V8 builds decoded objects in Node's main realm, not in Jest's.
    expect(types.isDate(decoded.value)).toBe(true);
    expect((decoded.value as Date).getTime()).toBeNaN();
  });

  it('keeps -0 distinct from 0', async () => {
    const decoded = await decodeEntry<{ z: number }>(
      (await encodeEntry({ z: -0 }, FRESH_UNTIL, NEVER)).bytes,
    );
    expect(Object.is(decoded.value.z, -0)).toBe(true);
  });

  it('round-trips freshUntil, including fractions and extremes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ noNaN: true }), async (freshUntil) => {
        const { bytes } = await encodeEntry('v', freshUntil, NEVER);
        expect(readFreshUntil(bytes)).toBe(freshUntil);
        expect((await decodeEntry(bytes)).freshUntil).toBe(freshUntil);
      }),
      { numRuns: 200 },
    );
  });

  it('writes the header: magic V, version 1, no flags below the threshold', async () => {
    const { bytes, payload } = await encodeEntry({ a: 1 }, FRESH_UNTIL, NEVER);
    expect([bytes[0], bytes[1], bytes[2], bytes[3]]).toEqual([0x56, 1, 0, 0]);
    expect(bytes.subarray(12)).toEqual(payload);
    expect(payload).toEqual(serialize({ a: 1 }));
  });

  it('compresses a payload larger than the threshold: fewer bytes, deflate flag, same value', async () => {
    const value = {
      rows: Array.from({ length: 500 }, (_, i) => ({ id: i % 7, title: 'the same title again' })),
    };
    const plain = await encodeEntry(value, FRESH_UNTIL, NEVER);
    const packed = await encodeEntry(value, FRESH_UNTIL, 16);
    expect(plain.bytes[2]).toBe(0);
    expect(packed.bytes[2]).toBe(1);
    expect(packed.bytes.length).toBeLessThan(plain.bytes.length / 5);
    // L1 takes its copy from the uncompressed payload, whichever way L2 stores it.
    expect(packed.payload).toEqual(plain.payload);
    expect((await decodeEntry(packed.bytes)).value).toStrictEqual(value);
    expect((await decodeEntry(packed.bytes)).freshUntil).toBe(FRESH_UNTIL);
  });

  it('compresses only strictly above the threshold', async () => {
    const { payload } = await encodeEntry('x'.repeat(100), FRESH_UNTIL, NEVER);
    expect((await encodeEntry('x'.repeat(100), FRESH_UNTIL, payload.length)).bytes[2]).toBe(0);
    expect((await encodeEntry('x'.repeat(100), FRESH_UNTIL, payload.length - 1)).bytes[2]).toBe(1);
  });

  it('throws for values that are not data (functions, symbols)', async () => {
    await expect(encodeEntry({ f: () => 1 }, FRESH_UNTIL, NEVER)).rejects.toThrow(/could not be cloned/);
    await expect(encodeEntry(Symbol('s'), FRESH_UNTIL, NEVER)).rejects.toThrow(/could not be cloned/);
  });
});

describe('decodeEntry never revives or evaluates strings', () => {
  const lookalikes = [
    '_function_x|() => process.exit(1)',
    '_function_foo|function(){ globalThis.evaluatedByCache = true }',
    '_date_2020-01-01T00:00:00.000Z',
    '_regexp_/x/g',
    '_undefined_',
    '_bigint_1',
    ':base64:aGVsbG8=',
    '{"__proto__":{"polluted":true}}',
    '{"type":"Buffer","data":[1,2,3]}',
    '[1,2,3]',
    'null',
    'true',
    '42',
    '"quoted"',
    '__proto__',
  ];

  it.each(lookalikes)('%j comes back as the identical string, alone and nested', async (text) => {
    const exits = jest.spyOn(process, 'exit').mockImplementation(() => {
      throw new Error('process.exit was called');
    });
    try {
      for (const compressAbove of [NEVER, 0]) {
        const alone = await decodeEntry((await encodeEntry(text, FRESH_UNTIL, compressAbove)).bytes);
        expect(alone.value).toBe(text);
        const nested = await decodeEntry<{ s: string; list: string[] }>(
          (await encodeEntry({ s: text, list: [text] }, FRESH_UNTIL, compressAbove)).bytes,
        );
        expect(nested.value.s).toBe(text);
        expect(nested.value.list[0]).toBe(text);
      }
      expect(exits).not.toHaveBeenCalled();
      expect((globalThis as { evaluatedByCache?: boolean }).evaluatedByCache).toBeUndefined();
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    } finally {
      exits.mockRestore();
    }
  });
});

describe('decodeEntry rejects anything that is not an entry with CacheDecodeError', () => {
  const valid = async () => (await encodeEntry({ id: 1, name: 'video' }, FRESH_UNTIL, NEVER)).bytes;

  it.each([
    ['empty input', () => Buffer.alloc(0)],
    ['a truncated header', async () => (await valid()).subarray(0, 11)],
    ['a header alone (no payload)', async () => (await valid()).subarray(0, 12)],
    ['the wrong magic', async () => Buffer.concat([Buffer.from('W'), (await valid()).subarray(1)])],
    ['a tombstone', () => Buffer.from(`${TOMBSTONE_MARK}instance.1`, 'latin1')],
    ['an unknown version', async () => entry((await valid()).subarray(12), { version: 2 })],
    ['version 0', async () => entry((await valid()).subarray(12), { version: 0 })],
    ['unknown flags', async () => entry((await valid()).subarray(12), { flags: 2 })],
    [
      'unknown flags beside deflate',
      async () => entry(deflateRawSync((await valid()).subarray(12)), { flags: 3 }),
    ],
    ['a valid header with a garbage payload', () => entry(Buffer.from('definitely not v8 data'))],
    ['a valid header with JSON', () => entry(Buffer.from('{"id":1}'))],
    ['a truncated payload', async () => (await valid()).subarray(0, (await valid()).length - 3)],
    [
      'the deflate flag on data that is not deflated',
      async () => entry((await valid()).subarray(12), { flags: 1 }),
    ],
    [
      'the deflate flag on a truncated stream',
      () => entry(deflateRawSync(serialize('x'.repeat(5000))).subarray(0, 20), { flags: 1 }),
    ],
    ['a deflated payload without the flag', () => entry(deflateRawSync(serialize({ id: 1 })))],
    [
      'what cache-manager-ioredis-yet writes (JSON text)',
      () => Buffer.from(JSON.stringify({ value: 1, expires: 0 })),
    ],
  ])('%s', async (_, make) => {
    const bytes = await make();
    const error = await decodeFailure(bytes);
    expect(error).toBeInstanceOf(CacheDecodeError);
    expect((error as Error).name).toBe('CacheDecodeError');
  });

  it('readFreshUntil rejects a bad header the same way', () => {
    expect(() => readFreshUntil(Buffer.from('xx'))).toThrow(CacheDecodeError);
    expect(() => readFreshUntil(entry(Buffer.alloc(0), { version: 9 }))).toThrow(CacheDecodeError);
  });

  it('random bytes, with or without a valid header, either decode or throw CacheDecodeError', async () => {
    const header = fc.record({ flags: fc.constantFrom(0, 1), freshUntil: fc.double() });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.option(header), async (payload, withHeader) => {
        const bytes = withHeader ? entry(Buffer.from(payload), withHeader) : Buffer.from(payload);
        expect(['decoded', 'CacheDecodeError']).toContain(await outcome(bytes));
      }),
      { numRuns: 1_000 },
    );
  });

  it('a corrupted byte anywhere in a real (compressed or not) entry never escapes as another error', async () => {
    const value = { id: 7, title: 'video '.repeat(50), at: new Date(0), tags: ['a', 'b'], n: -0 };
    const plain = (await encodeEntry(value, FRESH_UNTIL, NEVER)).bytes;
    const packed = (await encodeEntry(value, FRESH_UNTIL, 0)).bytes;
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (compressed, at, xor) => {
          const bytes = Buffer.from(compressed ? packed : plain);
          bytes[at % bytes.length]! ^= xor;
          expect(['decoded', 'CacheDecodeError']).toContain(await outcome(bytes));
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('isTombstone', () => {
  it('recognises the tombstone mark and nothing else', async () => {
    expect(isTombstone(Buffer.from(`${TOMBSTONE_MARK}abc.1`, 'latin1'))).toBe(true);
    expect(isTombstone(Buffer.from(TOMBSTONE_MARK, 'latin1'))).toBe(true);
    expect(isTombstone(Buffer.alloc(0))).toBe(false);
    expect(isTombstone(Buffer.from('V'))).toBe(false);
    expect(isTombstone((await encodeEntry('T-looking value', FRESH_UNTIL, NEVER)).bytes)).toBe(false);
    expect(isTombstone((await encodeEntry('T', FRESH_UNTIL, 0)).bytes)).toBe(false);
  });
});
