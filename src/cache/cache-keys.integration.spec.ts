import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { deletePrefix, rawClient, uniquePrefix } from '../../test/fixtures/redis.js';
import { globMatcher } from './cache-keys.js';

describe('globMatcher agrees with Redis SCAN MATCH', () => {
  let redis: Redis;
  let prefix: string;

  // Key suffixes, written under `<prefix>:`; some hold what encoded parts contain (%2A, %3A).
  const KEYS = [
    'a',
    'b',
    'c',
    'ab',
    'abc',
    'ba',
    'a*',
    'a?',
    'a[b]',
    'a\\b',
    'a-b',
    '^a',
    '*',
    '?',
    '[',
    ']',
    '\\',
    '^',
    '-',
    '%2A',
    'a%2A',
    'a%2Ab',
    '%3A',
    'a%3Ab',
    'user:1',
    'user:1:x',
    'user%3A1',
    'ü',
    'x y',
    'AB',
    '',
  ];
  const GLOBS = [
    '*',
    '?',
    '??',
    'a*',
    '*b',
    'a?',
    '?b',
    '[abc]',
    '[^a]',
    '[^a]*',
    '\\*',
    'a\\*',
    'a\\?',
    'a\\[b\\]',
    '\\\\*',
    '[a-c]',
    '[c-a]',
    '[a-]',
    '[\\]]',
    '[a\\-c]',
    '[]',
    '[^]',
    '[',
    'a[',
    'a[b',
    '\\',
    'a\\',
    '*%2A*',
    '%3A',
    'a%3Ab',
    '*%3A*',
    'user:*',
    'user%3A*',
    '*:*',
    '[!a]',
    '[^]]',
    'a[*]',
    'a[?]',
    '[[]',
    '[\\\\]*',
  ];

  async function scanMatch(glob: string): Promise<Set<string>> {
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:${glob}`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) found.add(key);
    } while (cursor !== '0');
    return found;
  }

  const localMatch = (glob: string) => {
    const matches = globMatcher(`${prefix}:${glob}`);
    return new Set(KEYS.map((k) => `${prefix}:${k}`).filter((k) => matches(k)));
  };

  beforeAll(async () => {
    redis = rawClient();
    prefix = uniquePrefix('keys');
    const pipeline = redis.pipeline();
    for (const key of KEYS) pipeline.set(`${prefix}:${key}`, '1', 'EX', 600);
    await pipeline.exec();
  });

  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('writes the keys the comparison runs on', async () => {
    expect((await scanMatch('*')).size).toBe(KEYS.length);
  });

  it.each(GLOBS)('glob %j', async (glob) => {
    const expected = await scanMatch(glob);
    expect([...localMatch(glob)].sort()).toEqual([...expected].sort());
  });

  it('over random globs of glob syntax', async () => {
    const glob = fc.string({
      unit: fc.constantFrom('a', 'b', 'c', '*', '?', '[', ']', '^', '-', '\\', '%', '2', 'A', ':'),
      maxLength: 7,
    });
    await fc.assert(
      fc.asyncProperty(glob, async (g) => {
        const expected = await scanMatch(g);
        expect([...localMatch(g)].sort()).toEqual([...expected].sort());
      }),
      { numRuns: 400 },
    );
  });
});
