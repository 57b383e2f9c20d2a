import { types } from 'node:util';
import { ANY } from '../cache-keys.js';
import type { CacheStore } from './cache-store.js';

export interface StoreUnderTest {
  readonly store: CacheStore;
  /** Moves the store's clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/**
 * The behaviour every store shares: the memory tier, the Redis tier and the hybrid cache run this
 * same suite. Namespaces `alpha` and `beta` must be configured with a 60 s TTL and no jitter.
 */
export function describeStoreContract(name: string, create: () => Promise<StoreUnderTest>): void {
  describe(`${name} (store contract)`, () => {
    let subject: StoreUnderTest;
    let store: CacheStore;

    beforeEach(async () => {
      subject = await create();
      store = subject.store;
    });
    afterEach(() => subject.close());

    it('misses on a key never set', async () => {
      expect(await store.get('alpha', 'nothing')).toBeUndefined();
    });

    it('returns what was set, with its types', async () => {
      const value = { title: 'Café ☕', at: new Date('2024-05-06T07:08:09.010Z'), tags: ['a', ''], n: -0 };
      await store.set('alpha', ['video', 'v1'], value);
      const read = await store.get<typeof value>('alpha', ['video', 'v1']);
      expect(read).toEqual(value);
      expect(types.isDate(read?.at)).toBe(true);
      expect(Object.is(read?.n, -0)).toBe(true);
    });

    it('stores null as a value, distinct from a miss', async () => {
      await store.set('alpha', 'missing-user', null);
      expect(await store.get('alpha', 'missing-user')).toBeNull();
    });

    it('expires entries after their TTL', async () => {
      await store.set('alpha', 'short', 'v', { ttlMs: 1_000 });
      subject.advance(999);
      expect(await store.get('alpha', 'short')).toBe('v');
      subject.advance(2);
      expect(await store.get('alpha', 'short')).toBeUndefined();
    });

    it('keeps namespaces apart', async () => {
      await store.set('alpha', 'k', 'in alpha');
      await store.set('beta', 'k', 'in beta');
      await store.delete('alpha', 'k');
      expect(await store.get('alpha', 'k')).toBeUndefined();
      expect(await store.get('beta', 'k')).toBe('in beta');
    });

    it('deletes one key and many keys', async () => {
      for (const id of ['1', '2', '3']) await store.set('alpha', ['u', id], id);
      await store.delete('alpha', ['u', '1']);
      await store.deleteMany('alpha', [['u', '2'], ['u', 'unknown']]);
      expect(await store.get('alpha', ['u', '1'])).toBeUndefined();
      expect(await store.get('alpha', ['u', '2'])).toBeUndefined();
      expect(await store.get('alpha', ['u', '3'])).toBe('3');
    });

    it('deletes by pattern, with ANY as the only wildcard', async () => {
      await store.set('alpha', ['page', 'u1', 1], 'a');
      await store.set('alpha', ['page', 'u1', 2], 'b');
      await store.set('alpha', ['page', 'u10', 1], 'c');
      await store.set('alpha', ['page', '*', 1], 'literal star');
      await store.deleteByPattern('alpha', ['page', 'u1', ANY]);
      expect(await store.get('alpha', ['page', 'u1', 1])).toBeUndefined();
      expect(await store.get('alpha', ['page', 'u1', 2])).toBeUndefined();
      expect(await store.get('alpha', ['page', 'u10', 1])).toBe('c');
      expect(await store.get('alpha', ['page', '*', 1])).toBe('literal star');
    });

    it('treats glob characters from input as data in patterns', async () => {
      await store.set('alpha', ['q', 'abc'], 1);
      await store.set('alpha', ['q', '*'], 2);
      await store.set('alpha', ['q', 'a?c'], 3);
      await store.deleteByPattern('alpha', ['q', '*']);
      await store.deleteByPattern('alpha', ['q', '[a]bc']);
      expect(await store.get('alpha', ['q', 'abc'])).toBe(1);
      expect(await store.get('alpha', ['q', '*'])).toBeUndefined();
      expect(await store.get('alpha', ['q', 'a?c'])).toBe(3);
    });

    it('deletes by tag across namespaces', async () => {
      await store.set('alpha', 'a', 1, { tags: ['user:7'] });
      await store.set('beta', 'b', 2, { tags: ['user:7', 'other'] });
      await store.set('beta', 'c', 3, { tags: ['other'] });
      await store.deleteByTag('user:7');
      expect(await store.get('alpha', 'a')).toBeUndefined();
      expect(await store.get('beta', 'b')).toBeUndefined();
      expect(await store.get('beta', 'c')).toBe(3);
    });

    it('clears one namespace only', async () => {
      await store.set('alpha', 'x', 1);
      await store.set('alpha', ['y', 'z'], 2);
      await store.set('beta', 'x', 3);
      await store.clearNamespace('alpha');
      expect(await store.get('alpha', 'x')).toBeUndefined();
      expect(await store.get('alpha', ['y', 'z'])).toBeUndefined();
      expect(await store.get('beta', 'x')).toBe(3);
    });

    it('rejects an unknown namespace', async () => {
      await expect(store.set('nope', 'k', 1)).rejects.toThrow(/Unknown cache namespace "nope"/);
    });
  });
}
