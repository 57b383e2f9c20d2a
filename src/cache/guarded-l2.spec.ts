import { EventEmitter } from 'node:events';
import { jest } from '@jest/globals';
import { Deferred, waitFor } from '../../test/fixtures/deferred.js';
import { resolveCacheOptions } from './cache-options.js';
import { CacheUnavailableError } from './cache-unavailable.error.js';
import { evictionSet } from './eviction-set.js';
import { GuardedL2 } from './guarded-l2.js';
import { NotReplicatedError } from './stores/redis.store.js';
import type { InvalidationBus } from './invalidation-bus.js';
import type { NamespaceRegistry } from './namespaces.js';
import type { RedisClient } from '../redis/redis-connections.js';
import type { L2Tier } from './tiers.js';

/** Which Redis calls of an eviction fail. */
interface Faults {
  /** The eviction proper (tombstones and epochs). */
  apply?: boolean;
  /** The plain UNLINK of the old values, after the eviction failed. */
  unlink?: boolean;
  /** Every PUBLISH to the other replicas. */
  publish?: boolean;
  /** Redis's replicas do not acknowledge the eviction: WAIT comes back short, or not in time. */
  replicate?: boolean | 'timeout';
}

function guardedL2(faults: Faults) {
  const outcome = (fails: boolean | undefined) =>
    fails ? Promise.reject(new Error('Command timed out')) : Promise.resolve();
  const tier = {
    evictKeys: jest.fn(() => outcome(faults.apply)),
    removeOldValues: jest.fn(() => outcome(faults.unlink)),
    replicated: jest.fn(() =>
      faults.replicate === 'timeout'
        ? outcome(true)
        : faults.replicate
          ? Promise.reject(new NotReplicatedError(0, 1, 75))
          : Promise.resolve(),
    ),
  };
  const bus = { publish: jest.fn(() => outcome(faults.publish)) };
  const connection = () =>
    Object.assign(new EventEmitter(), {
      status: 'ready',
      ping: jest.fn(() => Promise.resolve('PONG')),
      disconnect: jest.fn(),
    });
  // The command connection and the writer (evictions and their WAIT), as RedisConnections makes them.
  const client = connection();
  const writer = connection();
  const namespaces = { ofKey: () => undefined, names: () => [] };
  const l2 = new GuardedL2(
    tier as unknown as L2Tier,
    { client: client as unknown as RedisClient, writer: writer as unknown as RedisClient },
    bus as unknown as InvalidationBus,
    namespaces as unknown as NamespaceRegistry,
    resolveCacheOptions({ prefix: 'guarded-l2-spec' }),
  );
  return { l2, tier, bus, client, writer };
}

const eviction = () => evictionSet({ keys: ['guarded-l2-spec:video:v1'] });

describe('GuardedL2.evict: a write stands only if Redis and the other replicas were told', () => {
  it('applies the eviction, then publishes it', async () => {
    const { l2, tier, bus } = guardedL2({});
    await expect(l2.evict(eviction())).resolves.toBeUndefined();
    expect(tier.evictKeys).toHaveBeenCalledTimes(1);
    expect(bus.publish).toHaveBeenCalledTimes(1);
    expect(l2.pending.size).toBe(0);
    expect(l2.status).toBe('up');
  });

  it('the eviction failed but the old values were removed and the replicas told: the write stands, the eviction waits for the replay', async () => {
    const { l2, tier, bus } = guardedL2({ apply: true });
    await expect(l2.evict(eviction())).resolves.toBeUndefined();
    expect(tier.removeOldValues).toHaveBeenCalledTimes(1);
    expect(bus.publish).toHaveBeenCalledTimes(1);
    expect(l2.pending.size).toBe(1);
    expect(l2.status).toBe('down');
    expect(l2.counters.evictionFailures).toBe(1);
  });

  it('waits for Redis’s replicas to take the eviction before it publishes it', async () => {
    const { l2, tier, bus } = guardedL2({});
    await l2.evict(eviction());
    expect(tier.replicated).toHaveBeenCalledTimes(1);
    expect(tier.replicated.mock.invocationCallOrder[0]).toBeGreaterThan(
      tier.evictKeys.mock.invocationCallOrder[0]!,
    );
    expect(tier.replicated.mock.invocationCallOrder[0]).toBeLessThan(
      bus.publish.mock.invocationCallOrder[0]!,
    );
  });

  it('Redis took the eviction but its replicas did not: the write is refused, L2 is skipped, the eviction waits for the replay', async () => {
    const { l2, tier, bus } = guardedL2({ replicate: true });
    const refused = l2.evict(eviction());
    await expect(refused).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(refused).rejects.toThrow(/replicas did not take the change: 0 of 1 replicas acknowledged/);
    expect(tier.replicated).toHaveBeenCalledTimes(2); // after the eviction, then after the UNLINKs
    // The old values are removed on the master all the same, and the other replicas told.
    expect(tier.removeOldValues).toHaveBeenCalledTimes(1);
    expect(bus.publish).toHaveBeenCalledTimes(1);
    expect(l2.pending.size).toBe(1);
    expect(l2.status).toBe('down');
    expect(l2.counters.evictionFailures).toBe(1);
    expect(l2.lastFailure).toMatch(/its replicas did not/);
  });

  it('counts an eviction as pending while it is replayed, until Redis and its replicas have it', async () => {
    const { l2, tier, client } = guardedL2({ replicate: true });
    await expect(l2.evict(eviction())).rejects.toBeInstanceOf(CacheUnavailableError);
    const replicas = new Deferred();
    tier.replicated.mockImplementation(() => replicas.promise);
    l2.start();
    try {
      client.emit('ready'); // the connection is back: replay
      await waitFor(() => tier.replicated.mock.calls.length === 3);
      expect(l2.pendingEvictions).toBe(1);
      expect(l2.status).toBe('down');
      replicas.resolve();
      await waitFor(() => l2.status === 'up');
      expect(l2.pendingEvictions).toBe(0);
    } finally {
      l2.stop();
    }
  });

  it('WAIT was not answered in time: the write is refused all the same', async () => {
    const { l2, tier } = guardedL2({ replicate: 'timeout' });
    await expect(l2.evict(eviction())).rejects.toThrow(/replicas did not take the change: Command timed out/);
    expect(tier.removeOldValues).toHaveBeenCalledTimes(1);
    expect(l2.pending.size).toBe(1);
    expect(l2.status).toBe('down');
  });

  it('the old values could not be removed: the write is refused', async () => {
    const { l2 } = guardedL2({ apply: true, unlink: true });
    await expect(l2.evict(eviction())).rejects.toThrow(/Redis cannot be told of the change/);
    expect(l2.pending.size).toBe(1);
  });

  it('Redis took the eviction but the publication failed, and failed again: the write is refused', async () => {
    const { l2, tier, bus } = guardedL2({ publish: true });
    const refused = l2.evict(eviction());
    await expect(refused).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(refused).rejects.toThrow(/the other replicas cannot be told of the change/);
    expect(tier.removeOldValues).toHaveBeenCalledTimes(1);
    expect(bus.publish).toHaveBeenCalledTimes(2);
    expect(l2.pending.size).toBe(1); // replayed (applied and published) once Redis answers again
    expect(l2.status).toBe('down');
  });

  it('the eviction failed, the old values were removed, but the replicas could not be told: the write is refused', async () => {
    const { l2 } = guardedL2({ apply: true, publish: true });
    await expect(l2.evict(eviction())).rejects.toThrow(/the other replicas cannot be told of the change/);
    expect(l2.pending.size).toBe(1);
  });
});

describe('GuardedL2 over two connections: the command connection and the writer (evictions and their WAIT)', () => {
  it('the writer lost its connection: L2 is out of service', () => {
    const { l2, writer } = guardedL2({});
    l2.start();
    try {
      expect(l2.status).toBe('up');
      writer.emit('close');
      expect(l2.status).toBe('down');
    } finally {
      l2.stop();
    }
  });

  /** An eviction refused (its replicas did not take it); Redis's replicas then take the replay. */
  async function afterARefusedEviction() {
    const subject = guardedL2({ replicate: true });
    await expect(subject.l2.evict(eviction())).rejects.toBeInstanceOf(CacheUnavailableError);
    subject.tier.replicated.mockImplementation(() => Promise.resolve());
    return subject;
  }

  /** The command connection is back: resolves once the recovery it starts has pinged the writer and settled. */
  async function commandConnectionBack({ client, writer }: ReturnType<typeof guardedL2>) {
    client.emit('ready');
    await waitFor(() => writer.ping.mock.calls.length === 1);
    await new Promise((resolve) => setImmediate(resolve));
  }

  it('closes the circuit only once both connections answer, then replays', async () => {
    const subject = await afterARefusedEviction();
    const { l2, writer } = subject;
    writer.ping.mockImplementation(() => Promise.reject(new Error('Connection is closed.')));
    l2.start();
    try {
      await commandConnectionBack(subject);
      expect(l2.status).toBe('down');
      expect(l2.pendingEvictions).toBe(1);
      writer.ping.mockImplementation(() => Promise.resolve('PONG'));
      writer.emit('ready');
      await waitFor(() => l2.status === 'up');
      expect(l2.pendingEvictions).toBe(0);
    } finally {
      l2.stop();
    }
  });

  it('does not close the circuit while a connection is not ready, though its ping answered', async () => {
    const subject = await afterARefusedEviction();
    const { l2, writer } = subject;
    l2.start();
    try {
      writer.status = 'reconnecting';
      await commandConnectionBack(subject);
      expect(l2.status).toBe('down');
      expect(l2.pendingEvictions).toBe(0); // replayed, but the circuit stays open
      writer.status = 'ready';
      writer.emit('ready');
      await waitFor(() => l2.status === 'up');
    } finally {
      l2.stop();
    }
  });

  it('commands that keep timing out: both connections are remade', async () => {
    const { l2, client, writer } = guardedL2({});
    for (let i = 0; i < 5; i++)
      await expect(l2.call(() => Promise.reject(new Error('Command timed out')), 'read')).rejects.toThrow(
        'Command timed out',
      );
    expect(l2.counters.connectionsReplaced).toBe(1);
    expect(client.disconnect).toHaveBeenCalledWith(true);
    expect(writer.disconnect).toHaveBeenCalledWith(true);
  });
});
