import { evictionSet, evictionSetSize, PendingEvictions } from './eviction-set.js';

const NAMESPACES = ['user', 'video', 'search'];
/** Keys look like `p:<namespace>:<rest>`; anything else belongs to no namespace. */
const namespaceOf = (key: string) => {
  const [prefix, namespace] = key.split(':');
  return prefix === 'p' && namespace && NAMESPACES.includes(namespace) ? namespace : undefined;
};
const pending = (max = 100) => new PendingEvictions(max, namespaceOf, () => NAMESPACES);
const set = evictionSet;

describe('evictionSetSize', () => {
  it('counts keys, patterns, tags and namespaces', () => {
    expect(evictionSetSize(evictionSet())).toBe(0);
    expect(
      evictionSetSize(
        set({ keys: ['a', 'b'], patterns: [['user', '*']], tags: ['t'], namespaces: ['video'] }),
      ),
    ).toBe(5);
  });
});

describe('PendingEvictions', () => {
  it('keeps what it is given until take(), which returns everything and empties it', () => {
    const p = pending();
    p.add(set({ keys: ['p:user:1'], patterns: [['video', 'list:*']], tags: ['t1'] }));
    p.add(set({ keys: ['p:user:2'], namespaces: ['search'] }));
    expect(p.size).toBe(5);
    expect(p.take()).toEqual({
      keys: ['p:user:1', 'p:user:2'],
      patterns: [['video', 'list:*']],
      tags: ['t1'],
      namespaces: ['search'],
    });
    expect(p.size).toBe(0);
    expect(p.take()).toEqual(evictionSet());
  });

  it('stores each key, pattern and tag once', () => {
    const p = pending();
    for (let i = 0; i < 3; i++) p.add(set({ keys: ['p:user:1'], patterns: [['video', '*']], tags: ['t'] }));
    expect(p.size).toBe(3);
  });

  it('keeps the same glob in two namespaces apart', () => {
    const p = pending();
    p.add(
      set({
        patterns: [
          ['video', 'x:*'],
          ['user', 'x:*'],
        ],
      }),
    );
    expect(p.take().patterns).toEqual([
      ['video', 'x:*'],
      ['user', 'x:*'],
    ]);
  });

  it('does not keep keys or patterns of a namespace that is cleared anyway', () => {
    const p = pending();
    p.add(set({ namespaces: ['user'] }));
    p.add(
      set({
        keys: ['p:user:1', 'p:video:1'],
        patterns: [
          ['user', '*'],
          ['video', '*'],
        ],
      }),
    );
    expect(p.take()).toEqual({
      keys: ['p:video:1'],
      patterns: [['video', '*']],
      tags: [],
      namespaces: ['user'],
    });
  });

  it('stays within its bound by collapsing keys and patterns into clears of their namespaces', () => {
    const p = pending(10);
    const keys = Array.from({ length: 8 }, (_, i) => `p:user:${i}`);
    p.add(set({ keys }));
    expect(p.size).toBe(8);
    p.add(set({ keys: ['p:video:1', 'p:video:2'], patterns: [['search', 'q:*']] }));
    expect(p.size).toBeLessThanOrEqual(10);
    const taken = p.take();
    expect(taken.keys).toEqual([]);
    expect(taken.patterns).toEqual([]);
    // Evicts more than was asked, never less: every key's and pattern's namespace is cleared.
    expect([...taken.namespaces].sort()).toEqual(['search', 'user', 'video']);
  });

  it('collapses tags, which may span namespaces, into a clear of every namespace', () => {
    const p = pending(3);
    p.add(set({ tags: ['a', 'b', 'c', 'd'] }));
    const taken = p.take();
    expect(taken.tags).toEqual([]);
    expect([...taken.namespaces].sort()).toEqual([...NAMESPACES].sort());
  });

  it('remains bounded however many evictions pile up', () => {
    const p = pending(50);
    for (let i = 0; i < 10_000; i++) {
      p.add(set({ keys: [`p:${NAMESPACES[i % 3]}:${i}`], tags: i % 1000 === 0 ? [`t${i}`] : [] }));
      expect(p.size).toBeLessThanOrEqual(50);
    }
  });

  it('does not collapse at or under the bound', () => {
    const p = pending(4);
    p.add(set({ keys: ['p:user:1', 'p:user:2'], patterns: [['video', '*']], tags: ['t'] }));
    expect(p.take()).toEqual({
      keys: ['p:user:1', 'p:user:2'],
      patterns: [['video', '*']],
      tags: ['t'],
      namespaces: [],
    });
  });
});
