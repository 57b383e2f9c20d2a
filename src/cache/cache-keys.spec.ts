import fc from 'fast-check';
import {
  ANY,
  encodeKey,
  encodeKeyPart,
  fullKey,
  globMatcher,
  MAX_KEY_LENGTH,
  namespacePrefix,
  patternGlob,
  sequentialCopy,
  type KeyPart,
} from './cache-keys.js';
import { isSequentialOneByte } from '../../test/fixtures/string-shape.js';

/** Characters that are syntax somewhere (Redis globs, our separators and escapes, hash tags, hashed keys). */
const TRICKY = ['%', '*', '?', '[', ']', '\\', ':', '{', '}', '#', '^', '-', '2', '3', 'A', 'a', 'F', ' '];

/** Strings biased towards the characters that break naive encodings, plus arbitrary unicode. */
const trickyString = fc.oneof(
  fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('', '*', '%2A', '%252A', '%3A', ':', '\\*', '[a]', '{tag}', '#x'),
);

/** Inverse of the encoding (percent-decoding), used to prove it is injective. */
const decodePart = (encoded: string) =>
  encoded.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

describe('encodeKeyPart', () => {
  it('is injective: distinct strings never encode alike', () => {
    fc.assert(
      fc.property(trickyString, trickyString, (a, b) => {
        fc.pre(a !== b);
        expect(encodeKeyPart(a)).not.toBe(encodeKeyPart(b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('can be decoded back to the original part, so no information is lost', () => {
    fc.assert(
      fc.property(trickyString, (part) => {
        expect(decodePart(encodeKeyPart(part))).toBe(part);
      }),
      { numRuns: 1_000 },
    );
  });

  it('never emits glob, separator, escape or hash-tag syntax, and every % starts an escape', () => {
    fc.assert(
      fc.property(trickyString, (part) => {
        const encoded = encodeKeyPart(part);
        expect(encoded).not.toMatch(/[*?[\]\\:{}]/);
        expect(encoded).not.toMatch(/%(?![0-9A-F]{2})/);
      }),
      { numRuns: 1_000 },
    );
  });

  it('escapes the reserved characters as upper-case percent codes', () => {
    expect(encodeKeyPart('a*b?c[d]e\\f:g{h}i%j')).toBe('a%2Ab%3Fc%5Bd%5De%5Cf%3Ag%7Bh%7Di%25j');
    expect(encodeKeyPart('#tag')).toBe('%23tag');
    expect(encodeKeyPart('%2A')).toBe('%252A');
    expect(encodeKeyPart('*')).not.toBe(encodeKeyPart('%2A'));
  });

  it('encodes numbers and booleans by their string form', () => {
    expect(encodeKeyPart(42)).toBe('42');
    expect(encodeKeyPart(-1.5)).toBe('-1.5');
    expect(encodeKeyPart(false)).toBe('false');
  });
});

describe('encodeKey', () => {
  const tuple = fc.array(trickyString, { minLength: 1, maxLength: 4 });

  it('gives distinct tuples distinct keys', () => {
    fc.assert(
      fc.property(tuple, tuple, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(encodeKey(a)).not.toBe(encodeKey(b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('never lets a two-part tuple collide with a single part, whatever the part holds', () => {
    fc.assert(
      fc.property(trickyString, trickyString, trickyString, (a, b, c) => {
        expect(encodeKey([a, b])).not.toBe(encodeKey([c]));
        expect(encodeKey([a, b])).not.toBe(encodeKey(c));
      }),
      { numRuns: 1_000 },
    );
    // The classic collisions of an unencoded join.
    expect(encodeKey(['a', 'b'])).not.toBe(encodeKey('a:b'));
    expect(encodeKey(['a:b', 'c'])).not.toBe(encodeKey(['a', 'b:c']));
  });

  it('treats a single part and a one-part tuple as the same key', () => {
    expect(encodeKey(['video', 7])).toBe('video:7');
    expect(encodeKey(['x*'])).toBe(encodeKey('x*'));
  });

  it(`keeps keys up to MAX_KEY_LENGTH (${MAX_KEY_LENGTH}) readable and hashes longer ones`, () => {
    const exact = 'k'.repeat(MAX_KEY_LENGTH);
    const over = 'k'.repeat(MAX_KEY_LENGTH + 1);
    expect(encodeKey(exact)).toBe(exact);
    const hashed = encodeKey(over);
    expect(hashed).toMatch(/^#[A-Za-z0-9_-]{43}$/);
    expect(hashed.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
  });

  it('counts the encoded length: a short key made long by escaping is hashed', () => {
    const stars = '*'.repeat(70); // 70 characters, 210 once encoded
    expect(encodeKey(stars)).toMatch(/^#/);
  });

  it('hashes deterministically and keeps long keys distinct', () => {
    const long = fc.string({
      unit: fc.constantFrom(...TRICKY),
      minLength: MAX_KEY_LENGTH + 1,
      maxLength: 400,
    });
    fc.assert(
      fc.property(long, long, (a, b) => {
        expect(encodeKey(a)).toBe(encodeKey(a));
        expect(encodeKey([a, 'page', 2])).toBe(encodeKey([a, 'page', 2]));
        expect(encodeKey(a) === encodeKey(b)).toBe(a === b);
        expect(encodeKey([a, 1])).not.toBe(encodeKey([a, 2]));
      }),
      { numRuns: 300 },
    );
  });

  it('cannot be made to collide with a hashed key by passing the hash itself as a key', () => {
    const long = ['search', 'q'.repeat(MAX_KEY_LENGTH + 50)];
    const hashed = encodeKey(long);
    expect(hashed.startsWith('#')).toBe(true);
    // A caller who knows (or computes) the hash of a long key sends it as a key of its own.
    expect(encodeKey(hashed)).not.toBe(hashed);
    expect(encodeKey([hashed])).not.toBe(hashed);
    // More generally: no key short enough to be kept as is looks like a hashed one.
    fc.assert(
      fc.property(fc.array(trickyString, { minLength: 1, maxLength: 3 }), (parts) => {
        const encoded = encodeKey(parts);
        expect(encoded.length <= 44 && encoded.startsWith('#')).toBe(false);
      }),
      { numRuns: 1_000 },
    );
  });

  it('builds full keys as <prefix>:<namespace>:<encoded key>', () => {
    expect(namespacePrefix('vidcache', 'user')).toBe('vidcache:user:');
    expect(fullKey('vidcache', 'user', ['profile', 'a:b'])).toBe('vidcache:user:profile:a%3Ab');
  });
});

describe('the key strings an L1 look-up compares', () => {
  /** A part made at run time, as an id from a request is (a literal would be interned). */
  const runtimeId = () => `vid_${String(Math.random()).slice(2, 10)}`;

  it('encodeKey joins tuple parts as encodeKeyPart writes each, with `:`', () => {
    const part = fc.oneof(trickyString, fc.integer(), fc.double(), fc.boolean());
    fc.assert(
      fc.property(fc.array(part, { maxLength: 5 }), (parts) => {
        // At most 5 × 36 + 4 characters: never long enough to be hashed.
        expect(encodeKey(parts)).toBe(parts.map(encodeKeyPart).join(':'));
      }),
      { numRuns: 2_000 },
    );
  });

  it('encodeKey writes a null or undefined part from an untyped caller as encodeKeyPart does', () => {
    const parts = ['a', null, undefined, 1] as unknown as KeyPart[];
    expect(encodeKey(parts)).toBe('a:null:undefined:1');
    expect(encodeKey(parts)).not.toBe(encodeKey(['a', '', '', 1]));
  });

  it('encodeKey builds a tuple key as one sequential string, escaped or not', () => {
    const id = runtimeId();
    // What `+` builds is not (the check can tell them apart).
    expect(isSequentialOneByte(`video:${id}`)).toBe(false);
    expect(isSequentialOneByte(encodeKey(['video', id]))).toBe(true);
    expect(isSequentialOneByte(encodeKey(['video', `${id}:{tag}`]))).toBe(true);
    expect(isSequentialOneByte(encodeKey(['page', id, 2, true]))).toBe(true);
  });

  it('sequentialCopy gives the same text, laid out sequentially, whatever the input', () => {
    const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
    fc.assert(
      fc.property(fc.string({ unit: anyUnit, maxLength: 40 }), (text) => {
        expect(sequentialCopy(text)).toBe(text);
      }),
      { numRuns: 2_000 },
    );
    const full = fullKey('prefix', 'video', ['video', runtimeId()]);
    const sliced = full.slice('prefix:video:'.length);
    expect(isSequentialOneByte(sliced)).toBe(false);
    expect(isSequentialOneByte(sequentialCopy(sliced))).toBe(true);
    expect(isSequentialOneByte(sequentialCopy(`video:${runtimeId()}`))).toBe(true);
  });
});

describe('patternGlob', () => {
  it('turns only ANY into *, and encodes every literal part', () => {
    expect(patternGlob(['user-videos', 42, ANY])).toBe('user-videos:42:*');
    expect(patternGlob([ANY])).toBe('*');
    expect(patternGlob(['a*', '?', '[x]', '\\', ANY])).toBe('a%2A:%3F:%5Bx%5D:%5C:*');
  });

  it('a pattern of literal parts matches exactly the key of the same parts and no other', () => {
    const parts = fc.array(trickyString, { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(parts, parts, (pattern, key) => {
        const encoded = encodeKey(key);
        fc.pre(!encoded.startsWith('#'));
        const matches = globMatcher(patternGlob(pattern))(encoded);
        expect(matches).toBe(encodeKey(pattern) === encoded);
      }),
      { numRuns: 2_000 },
    );
  });

  it('a literal part holding glob syntax only matches itself', () => {
    const matches = globMatcher(patternGlob(['page*', ANY]));
    expect(matches(encodeKey(['page*', 1]))).toBe(true);
    expect(matches(encodeKey(['page*', 'x', 'y']))).toBe(true);
    expect(matches(encodeKey(['page1', 1]))).toBe(false);
    expect(matches(encodeKey(['page', 1]))).toBe(false);
    expect(matches(encodeKey(['page%2A', 1]))).toBe(false);
  });
});
