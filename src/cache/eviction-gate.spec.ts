import { resolveCacheOptions } from './cache-options.js';
import { EvictionGate } from './eviction-gate.js';
import { evictionSet } from './eviction-set.js';
import { NamespaceRegistry } from './namespaces.js';
import { MemoryStore } from './stores/memory.store.js';

describe('EvictionGate', () => {
  const options = resolveCacheOptions({ prefix: 'p', policies: { item: {}, other: {} } });
  const namespaces = new NamespaceRegistry(options, new MemoryStore(options));
  const item = namespaces.get('item');
  const other = namespaces.get('other');
  const key = (id: string) => `${item.keyPrefix}${id}`;
  let gate: EvictionGate;

  beforeEach(() => {
    gate = new EvictionGate(namespaces, 3);
  });

  it('lets a read fill when no eviction ran', () => {
    const token = gate.token(item, key('a'));
    expect(gate.mayFill(item, key('a'), token)).toBe(true);
  });

  it('refuses a read that began while an eviction of its key was under way, even after it ends', () => {
    const scope = gate.begin(evictionSet({ keys: [key('a')] }));
    const during = gate.token(item, key('a'));
    expect(during).toBeUndefined();
    gate.end(scope);
    expect(gate.mayFill(item, key('a'), during)).toBe(false);
    expect(gate.mayFill(item, key('a'), gate.token(item, key('a')))).toBe(true);
  });

  it('refuses a read whose key was evicted after it began, here or on another replica', () => {
    const here = gate.token(item, key('a'));
    gate.end(gate.begin(evictionSet({ keys: [key('a')] })));
    expect(gate.mayFill(item, key('a'), here)).toBe(false);

    const there = gate.token(item, key('b'));
    gate.evictedElsewhere(evictionSet({ keys: [key('b')] }));
    expect(gate.mayFill(item, key('b'), there)).toBe(false);
  });

  it('lets a read of another key fill while a key eviction runs', () => {
    const scope = gate.begin(evictionSet({ keys: [key('a')] }));
    const token = gate.token(item, key('b'));
    expect(gate.mayFill(item, key('b'), token)).toBe(true);
    gate.end(scope);
    expect(gate.mayFill(item, key('b'), token)).toBe(true);
  });

  it('a pattern or namespace eviction closes its namespace only; a tag eviction every namespace', () => {
    const inItem = gate.token(item, key('a'));
    const inOther = gate.token(other, `${other.keyPrefix}x`);
    gate.end(gate.begin(evictionSet({ patterns: [['item', 'a*']] })));
    expect(gate.mayFill(item, key('a'), inItem)).toBe(false);
    expect(gate.mayFill(other, `${other.keyPrefix}x`, inOther)).toBe(true);

    gate.end(gate.begin(evictionSet({ tags: ['t'] })));
    expect(gate.mayFill(other, `${other.keyPrefix}x`, inOther)).toBe(false);
  });

  it('bounded: a key forgotten from its record counts as evicted at the oldest time still covered', () => {
    const token = gate.token(item, key('old'));
    gate.end(gate.begin(evictionSet({ keys: [key('old')] })));
    // Three more keys push `old` out of a record of three.
    for (const id of ['b', 'c', 'd']) gate.evictedElsewhere(evictionSet({ keys: [key(id)] }));
    expect(gate.mayFill(item, key('old'), token)).toBe(false);
    // A key never evicted, read before those evictions, is refused too: the gate cannot tell.
    const before = { generation: 0, seq: 0 };
    expect(gate.mayFill(item, key('never'), before)).toBe(false);
    expect(gate.mayFill(item, key('never'), gate.token(item, key('never')))).toBe(true);
  });
});
