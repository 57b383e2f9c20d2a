import { Redis } from 'ioredis';
import { AppProcess, buildIfNeeded } from './fixtures/app-process.js';
import { cacheStats, startReplicas, type TierStats } from './fixtures/coherence.js';
import { createTestDatabase } from './fixtures/database.js';
import { expectClean, HistoryRun, noop, PHASE_TIMEOUT_MS, type Fault } from './fixtures/history-run.js';
import { RedisClusterProcesses } from './fixtures/redis-cluster.js';
import { uniquePrefix } from './fixtures/redis.js';

/**
 * The history checker (`history-run.ts`) on a Redis Cluster of three masters, each with a
 * replica: three replicas of the service, concurrent writers and readers, and faults that hit
 * what a Cluster adds, the invalidation channel (sharded: it lives on the master of its slot) and
 * that master's failover.
 */

interface Rig {
  cluster: RedisClusterProcesses;
  /** The invalidation bus's channel: the faults aim at the master that holds it. */
  channel: string;
  replicas: AppProcess[];
  /** The master killed by the failover phase, to start again (as a replica) when it heals. */
  killed?: number;
  /** The nodes killed by the shard-lost and cluster-down phases. */
  down?: number[];
}

/** Runs `CLIENT KILL TYPE pubsub` on every node of the cluster that is up. */
async function killSubscribers(cluster: RedisClusterProcesses): Promise<void> {
  await Promise.all(
    cluster.ports.map(async (port) => {
      const node = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null });
      node.on('error', noop);
      try {
        await node.client('KILL', 'TYPE', 'pubsub');
      } catch {
        // A node that is down has no subscribers to cut.
      } finally {
        node.disconnect();
      }
    }),
  );
}

/** A phase's fault, and whether it must make every replica's bus subscribe again. */
type ClusterFault = Fault<Rig> & { resubscribes: boolean };

const FAULTS: readonly ClusterFault[] = [
  { name: 'cluster-baseline', inject: noop, heal: noop, resubscribes: false },
  {
    name: 'cluster-pubsub-kill',
    resubscribes: true,
    // Every subscription, sharded or not, is cut again and again; ioredis remakes them on its own.
    inject: (rig) => killSubscribers(rig.cluster),
    heal: noop,
    repeatEveryMs: 400,
  },
  {
    // The master of the bus's shard dies: its replica takes over after the node timeout (2 s),
    // and the subscriptions and the commands for its slots move there.
    name: 'cluster-bus-master-failover',
    resubscribes: true,
    inject: async (rig) => {
      rig.killed = await rig.cluster.masterOf(rig.channel);
      await rig.cluster.kill(rig.killed);
    },
    heal: async (rig) => {
      if (rig.killed === undefined) return;
      await rig.cluster.restart(rig.killed);
      rig.killed = undefined;
      await rig.cluster.waitHealthy(30_000);
    },
  },
  {
    // The bus's shard is lost whole: its master and its replica die together, and come back
    // empty (nothing is saved), as a restart of a standalone Redis does.
    name: 'cluster-shard-lost',
    resubscribes: true,
    inject: async (rig) => {
      const master = await rig.cluster.masterOf(rig.channel);
      rig.down = [master, ...(await rig.cluster.replicasOf(master))];
      await Promise.all(rig.down.map((port) => rig.cluster.kill(port)));
    },
    heal: async (rig) => {
      await Promise.all((rig.down ?? []).map((port) => rig.cluster.restart(port)));
      rig.down = undefined;
      await rig.cluster.waitHealthy(30_000);
    },
  },
  {
    // Two masters of three die: no majority is left to promote their replicas, so the cluster
    // is down until they come back, as masters again and empty (nothing is saved).
    name: 'cluster-down',
    resubscribes: true,
    inject: async (rig) => {
      const bus = await rig.cluster.masterOf(rig.channel);
      const other = (await rig.cluster.masters()).find((port) => port !== bus)!;
      rig.down = [bus, other];
      await Promise.all(rig.down.map((port) => rig.cluster.kill(port)));
    },
    heal: async (rig) => {
      await Promise.all((rig.down ?? []).map((port) => rig.cluster.restart(port)));
      rig.down = undefined;
      await rig.cluster.waitHealthy(30_000);
    },
  },
];

/** How long after a phase a replica may take to count its resubscription (see the check). */
const RESUBSCRIBE_WAIT_MS = 15_000;

/**
 * For each replica, how many ms after `after` its bus had counted a resubscription since `before`
 * (0: already in `after`), polling until all have or RESUBSCRIBE_WAIT_MS has passed; undefined for
 * one that never did.
 */
async function resubscriptionsAfter(
  replicas: readonly AppProcess[],
  before: readonly (TierStats | undefined)[],
  after: readonly (TierStats | undefined)[],
): Promise<(number | undefined)[]> {
  const count = (stats: TierStats | undefined) => stats?.bus?.resubscriptions ?? 0;
  const late = after.map((stats, r): number | undefined => (count(stats) > count(before[r]) ? 0 : undefined));
  const started = performance.now();
  while (late.includes(undefined) && performance.now() - started < RESUBSCRIBE_WAIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await Promise.all(replicas.map(cacheStats));
    for (const [r, stats] of now.entries())
      if (late[r] === undefined && count(stats) > count(before[r])) late[r] = performance.now() - started;
  }
  return late;
}

describe('history checker on a Redis Cluster with replicas: no acknowledged write is undone', () => {
  const run = new HistoryRun<Rig>();
  let rig: Rig | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    buildIfNeeded();
    const cluster = new RedisClusterProcesses();
    cleanups.push(() => cluster.stop());
    await cluster.start(3, 1);
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const prefix = uniquePrefix('cluster-history');
    const nodes = cluster.nodes.join(',');
    const replicas = await startReplicas(
      { prefix, database },
      // With REDIS_CLUSTER_NODES set, REDIS_URL gives only credentials and TLS (none here).
      Array.from({ length: 3 }, () => `redis://${cluster.nodes[0]}`),
      { REDIS_CLUSTER_NODES: nodes },
    );
    cleanups.push(() => Promise.all(replicas.map((replica) => replica.stop())).then(noop));
    rig = { cluster, channel: `${prefix}:%bus`, replicas };
    await run.begin(rig, FAULTS[0]!.name);
  }, 180_000);

  afterAll(async () => {
    const summary = run.summary();
    if (summary) console.log(summary);
    for (const cleanup of cleanups.toReversed()) await Promise.resolve(cleanup()).catch(noop);
  }, 60_000);

  it.each(FAULTS.map((fault) => [fault.name, fault] as const))(
    '%s: every read that starts more than B ms after a write answered 2xx sees it or newer, and nothing answers 500',
    async (_name, fault) => {
      const current = rig!;
      const before = await Promise.all(current.replicas.map(cacheStats));
      let after: typeof before = [];
      // The note says what the fault did to each replica's L2 and bus.
      const report = await run.phase(
        current,
        fault,
        () => {
          const change = after.map((stats, r) => {
            const was = before[r];
            const l2Errors = (stats?.l2?.errors ?? 0) - (was?.l2?.errors ?? 0);
            const resubscriptions = (stats?.bus?.resubscriptions ?? 0) - (was?.bus?.resubscriptions ?? 0);
            return `replica ${r}: +${l2Errors} L2 errors, +${resubscriptions} resubscriptions`;
          });
          return `; ${change.join('; ')}`;
        },
        async () => {
          after = await Promise.all(current.replicas.map(cacheStats));
        },
      );

      for (const [r, replica] of current.replicas.entries())
        if (after[r] === undefined)
          console.log(`replica ${r} did not answer; its last output:\n${replica.logs.slice(-6000)}`);
      expectClean(report);
      // The fault reached what it aims at: every replica's bus lost its subscription and made a new
      // one. A replica counts that once it hears its own heartbeat through the new subscription, so
      // its publishing must work again too, and a replica's publishing to a restarted master can come
      // back seconds after its subscription (about 4 s in one run here, after `after` was read). It
      // is waited for, within RESUBSCRIBE_WAIT_MS, and how long it took goes in the summary.
      if (fault.resubscribes) {
        const late = await resubscriptionsAfter(current.replicas, before, after);
        const missing = late.flatMap((ms, r) => (ms === undefined ? [r] : []));
        run.readiness.push(
          `${fault.name}: resubscriptions counted ${late.map((ms) => (ms === undefined ? 'never' : `+${ms.toFixed(0)} ms`)).join(', ')} after the phase`,
        );
        for (const r of missing) {
          const stats = await cacheStats(current.replicas[r]!);
          console.log(
            `replica ${r} did not resubscribe within ${RESUBSCRIBE_WAIT_MS} ms; its bus: ${JSON.stringify(stats?.bus)}; its last output:\n${current.replicas[r]!.logs.slice(-6000)}`,
          );
        }
        expect(missing).toEqual([]);
      } else {
        expect(
          after.map((stats, r) => stats?.bus?.resubscriptions === before[r]?.bus?.resubscriptions),
        ).toEqual(current.replicas.map(() => true));
      }
    },
    PHASE_TIMEOUT_MS,
  );
});
