import { Redis, type Cluster } from 'ioredis';
import { busReplica } from '../../test/fixtures/bus-replica.js';
import { waitFor } from '../../test/fixtures/deferred.js';
import { RedisClusterProcesses } from '../../test/fixtures/redis-cluster.js';
import { uniquePrefix } from '../../test/fixtures/redis.js';
import { createRedisConnections, type RedisConnections } from '../redis/redis-connections.js';
import { BUS_SEGMENT } from './cache.constants.js';
import { evictionSet } from './eviction-set.js';
import type { InvalidationBus } from './invalidation-bus.js';

/**
 * The bus on a Redis Cluster of three masters, each with a replica, over the connections the
 * service makes (`createRedisConnections`): its channel is sharded, so it lives on the master of
 * its slot, and the faults here hit that master.
 */
describe('InvalidationBus on a Redis Cluster with replicas (sharded pub/sub)', () => {
  const cluster = new RedisClusterProcesses();
  let control: Cluster;
  let channel: string;
  let connections: RedisConnections[];
  let buses: InvalidationBus[];

  beforeAll(async () => {
    await cluster.start(3, 1);
    control = cluster.client();
  }, 60_000);
  afterAll(async () => {
    control.disconnect();
    await cluster.stop();
  });
  beforeEach(() => {
    channel = `${uniquePrefix('bus-cluster')}:${BUS_SEGMENT}`;
    connections = [];
    buses = [];
  });
  afterEach(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await Promise.all(connections.map((c) => c.close()));
  });

  /** A replica's bus on its own connections, made as the service makes them. */
  async function replica(id: string, options: { startWaitMs?: number } = {}) {
    const made = await createRedisConnections({
      redis: {
        mode: 'cluster',
        nodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
        url: undefined,
      },
      redisOptions: {},
      instanceId: id,
      l2: { timeoutMs: 1_000 },
    });
    connections.push(made!);
    const replica = busReplica(made!.client, made!.subscriber, channel, id, {
      heartbeatMs: 50,
      deafAfterMs: 300,
    });
    buses.push(replica.bus);
    // Bounded (as the service starts it), or waited for until the bus hears.
    if (options.startWaitMs !== undefined)
      return { ...replica, answered: await replica.bus.start(options.startWaitMs) };
    await replica.bus.start();
    await waitFor(() => replica.bus.hears(), 5_000);
    return { ...replica, answered: true };
  }

  /** How many connections are subscribed to the channel on `port` (SSUBSCRIBE counts per node). */
  async function shardSubscribers(port: number): Promise<number> {
    const node = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    try {
      const [, count] = (await node.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number];
      return count;
    } finally {
      node.disconnect();
    }
  }

  it('subscribes on the master of the channel’s shard, and an eviction reaches the other replica', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    expect(await shardSubscribers(await cluster.masterOf(channel))).toBe(2);

    await a.bus.publish(evictionSet({ keys: ['p:video:1'] }));
    await b.received(1);

    expect(b.evictions[0]!.keys).toEqual(['p:video:1']);
    expect(a.evictions).toEqual([]);
    expect([a.bus.counters.gaps, b.bus.counters.gaps]).toEqual([0, 0]);
    expect(b.resubscribed).not.toHaveBeenCalled();
  });

  it('checks each sender’s numbers on a Cluster too: a number skipped drops L1', async () => {
    const a = await replica('replica-a');
    const forged = (n: number) =>
      control.spublish(
        channel,
        JSON.stringify({ v: 1, s: 'replica-x', n, ...evictionSet({ keys: [`k${n}`] }) }),
      );
    await forged(1);
    await forged(2);
    await a.received(2);
    expect(a.resubscribed).not.toHaveBeenCalled();

    await forged(5); // 3 and 4 never arrived
    await a.received(3);
    expect(a.bus.counters.gaps).toBe(1);
    expect(a.resubscribed).toHaveBeenCalledTimes(1);
  });

  it('subscribers cut off by the shard’s master: ioredis subscribes again, L1 is dropped once the bus hears itself through it, and evictions arrive again', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    const master = await cluster.masterOf(channel);
    const node = new Redis({ host: '127.0.0.1', port: master, maxRetriesPerRequest: 1 });
    try {
      expect(Number(await node.client('KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(2);
    } finally {
      node.disconnect();
    }
    // The resubscription's own count: a gap (a heartbeat sent while the subscription was away) may
    // drop L1 before it.
    await waitFor(() => a.bus.counters.resubscriptions >= 1 && b.bus.counters.resubscriptions >= 1, 10_000);
    expect(a.bus.counters.resubscriptions).toBeGreaterThanOrEqual(1);

    await b.bus.publish(evictionSet({ keys: ['p:video:2'] }));
    await a.received(1);
    expect(a.evictions[0]!.keys).toEqual(['p:video:2']);
    expect(await shardSubscribers(master)).toBe(2);
  });

  it.each([
    [
      'the channel’s shard is lost',
      async (master: number) => {
        // Its replica too, or the replica takes over and the cluster is not down at all.
        let replicas: number[] = [];
        await waitFor(async () => (replicas = await cluster.replicasOf(master)).length === 1, 10_000);
        return [master, ...replicas];
      },
    ],
    [
      'the cluster is down (the two other masters lost)',
      async (master: number) => (await cluster.masters()).filter((port) => port !== master),
    ],
  ])(
    'a bus started while %s starts deaf within its bound, and subscribes once the cluster is back',
    async (_case, lost) => {
      const down = await lost(await cluster.masterOf(channel));
      await Promise.all(down.map((port) => cluster.kill(port)));
      let restarted = false;
      try {
        // Every node left says the cluster is down (after the node timeout, 2 s): ioredis then
        // holds the subscription until it is back. (Started before that, the bus subscribed at
        // once; a start waiting for the held subscription is what hung the service's start-up.)
        const left = cluster.ports.filter((port) => !down.includes(port));
        await waitFor(async () => {
          const states = await Promise.all(left.map((port) => cluster.cli(port, 'cluster', 'info')));
          return states.every((info) => info.includes('cluster_state:fail'));
        }, 15_000);
        const a = await replica('replica-a', { startWaitMs: 1_000 });
        expect(a.answered).toBe(false);
        expect(a.bus.hears()).toBe(false);
        expect(a.bus.counters.resubscriptions).toBe(0);

        await Promise.all(down.map((port) => cluster.restart(port)));
        restarted = true;
        await cluster.waitHealthy(30_000);
        // The subscription lands late, so what this replica cached meanwhile is dropped.
        await waitFor(() => a.bus.hears() && a.bus.counters.resubscriptions >= 1, 20_000);
        expect(a.resubscribed).toHaveBeenCalled();
        const b = await replica('replica-b');
        await b.bus.publish(evictionSet({ keys: ['p:video:4'] }));
        await a.received(1);
        expect(a.evictions[0]!.keys).toEqual(['p:video:4']);
      } finally {
        if (!restarted) await Promise.all(down.map((port) => cluster.restart(port)));
        await cluster.waitHealthy(30_000);
      }
    },
    90_000,
  );

  it('a failover and a failback that ioredis does not see: the subscription the old master dropped when it became a replica is made again', async () => {
    const a = await replica('replica-a');
    const master = await cluster.masterOf(channel);
    const [standby] = await cluster.replicasOf(master);
    const was = a.bus.counters.resubscriptions;
    // Manual failovers: the standby takes the shard over, and the old master, once it has synced
    // as a replica, takes it back.
    await cluster.failover(standby!);
    await cluster.waitHealthy();
    await cluster.failover(master);
    await waitFor(async () => a.bus.hears() && (await shardSubscribers(master)) === 1, 20_000).catch(
      async (error: Error) => {
        throw new Error(
          `${error.message}: A ${JSON.stringify(a.bus.counters)} hears ${a.bus.hears()}, subscribers on the master ${await shardSubscribers(master)}`,
        );
      },
    );
    expect(a.bus.counters.resubscriptions).toBeGreaterThan(was);
    expect(a.bus.counters.renewals).toBeGreaterThanOrEqual(1);
    await cluster.waitHealthy();
  }, 60_000);

  // Last: it leaves the killed node back as a replica.
  it('the master of the channel’s shard dies: its replica takes over, the subscription moves to it, L1 is dropped, and evictions arrive again', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    const master = await cluster.masterOf(channel);

    await cluster.kill(master);
    // The replica is promoted after the node timeout (2 s); ioredis then moves both subscriptions.
    await waitFor(
      () => a.bus.counters.resubscriptions >= 1 && b.bus.counters.resubscriptions >= 1,
      20_000,
    ).catch(async (error: Error) => {
      const now = await cluster.masterOf(channel).catch((e: Error) => e.message);
      const there = typeof now === 'number' ? await shardSubscribers(now) : '-';
      throw new Error(
        `${error.message}: A ${JSON.stringify(a.bus.counters)} hears ${a.bus.hears()}; B ${JSON.stringify(b.bus.counters)}; master now ${now} (was ${master}), subscribers there ${there}`,
      );
    });
    const promoted = await cluster.masterOf(channel);
    expect(promoted).not.toBe(master);
    expect(await shardSubscribers(promoted)).toBe(2);

    await b.bus.publish(evictionSet({ keys: ['p:video:3'] }));
    await a.received(1);
    expect(a.evictions[0]!.keys).toEqual(['p:video:3']);
    expect(a.bus.hears()).toBe(true);

    await cluster.restart(master);
    await cluster.waitHealthy();
  }, 40_000);
});
