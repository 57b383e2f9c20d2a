import type { Cluster } from 'ioredis';
import { waitFor } from '../../test/fixtures/deferred.js';
import { RedisClusterProcesses } from '../../test/fixtures/redis-cluster.js';
import { freePort, RedisServerProcess } from '../../test/fixtures/redis.js';
import { scanEach } from '../cache/stores/redis.store.js';
import { COMMAND_TIMED_OUT } from './command-timeout.js';
import { createRedisConnections, type RedisConnections } from './redis-connections.js';
import type { RedisTopology } from './redis-topology.js';

const TIMEOUT_MS = 50;

/** Blocks the event loop, as a long GC pause or a burst of synchronous work does. */
function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

const connect = async (redis: RedisTopology): Promise<RedisConnections> =>
  (await createRedisConnections({
    redis,
    redisOptions: {},
    instanceId: 'timeout-spec',
    l2: { timeoutMs: TIMEOUT_MS },
  }))!;

/**
 * Sends commands (one alone, two pipelined by auto-pipelining) and blocks the event loop for four
 * times the timeout while Redis answers them. Returns how many of them failed.
 */
async function failuresAcrossStalls(connections: RedisConnections, rounds: number): Promise<string[]> {
  const { client } = connections;
  const failures: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const sent = [
      client.set(`timeout-spec:{t}:${round}`, 'v', 'PX', 5_000),
      client.get('timeout-spec:{t}:0'),
      client.ping(),
    ];
    // Auto-pipelining writes the commands from a setImmediate; stall right after, with the
    // replies on their way (the stall is in the check phase, so the timers phase comes next).
    await new Promise<void>((resolve) => setImmediate(resolve));
    stall(TIMEOUT_MS * 4);
    for (const [i, result] of (await Promise.allSettled(sent)).entries())
      if (result.status === 'rejected') failures.push(`${round}.${i}: ${(result.reason as Error).message}`);
  }
  return failures;
}

// ioredis's own commandTimeout, under the same stalls, timed out every one of these commands
// (60 of 60 in 20 rounds, standalone and on a Cluster, in two runs) although Redis answered them
// all: its timer runs before the socket is read.
describe('the command timeout of the connections the service makes', () => {
  describe('on a standalone Redis', () => {
    let server: RedisServerProcess;
    let connections: RedisConnections;

    beforeAll(async () => {
      server = new RedisServerProcess(await freePort());
      await server.start();
      connections = await connect({ mode: 'standalone', url: server.url });
    });
    afterAll(async () => {
      server.resume();
      await connections.close();
      await server.stop();
    });

    it('does not fail a command Redis answered while the event loop was blocked past the timeout', async () => {
      expect(await failuresAcrossStalls(connections, 10)).toEqual([]);
    });

    it('gives WAIT its own timeout on top of the bound, and still fails it when Redis does not answer', async () => {
      // The service's default bound (150 ms), and a WAIT held longer than that. With no replica,
      // Redis answers it once its own timeout is over, up to 100 ms late (it checks at its hz).
      const service = await createRedisConnections({
        redis: { mode: 'standalone', url: server.url },
        redisOptions: {},
        instanceId: 'timeout-spec-wait',
        l2: { timeoutMs: 150 },
      });
      try {
        expect(await service!.client.wait(1, 200)).toBe(0);
        server.pause();
        try {
          await expect(service!.client.wait(1, 50)).rejects.toThrow(COMMAND_TIMED_OUT);
        } finally {
          server.resume();
        }
      } finally {
        await service!.close();
      }
    });

    it('leaves no timer keeping the process alive once a command failed without an answer', async () => {
      // A long bound, as tests and some deployments set: a timer still armed for a command the
      // closed connection had already failed kept Jest (or a service shutting down) alive for it.
      const timers = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
      const long = (await createRedisConnections({
        redis: { mode: 'standalone', url: server.url },
        redisOptions: {},
        instanceId: 'timeout-spec-unanswered',
        l2: { timeoutMs: 600_000 },
      }))!;
      try {
        expect(await long.client.ping()).toBe('PONG');
        const before = timers();
        const ended = new Promise((resolve) => long.client.once('end', resolve));
        const sent = long.client.get('timeout-spec:unanswered');
        long.client.disconnect();
        await expect(sent).rejects.toBeInstanceOf(Error);
        await ended; // ioredis's own timer of the closing connection is gone by then
        expect(timers()).toBe(before);
      } finally {
        await long.close();
      }
    });

    it('still fails a command Redis does not answer, with the message the cache counts as a timeout', async () => {
      server.pause();
      try {
        await expect(connections.client.get('timeout-spec:paused')).rejects.toThrow(COMMAND_TIMED_OUT);
        await expect(connections.client.ping()).rejects.toThrow(/timed out/);
      } finally {
        server.resume();
      }
      expect(await connections.client.ping()).toBe('PONG');
    });
  });

  describe('on a Redis Cluster', () => {
    const cluster = new RedisClusterProcesses();
    let connections: RedisConnections;

    beforeAll(async () => {
      await cluster.start();
      connections = await connect({
        mode: 'cluster',
        nodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
        url: undefined,
      });
      // The connection to each node is opened on its first command, and the deadline includes
      // that wait (the command has not reached Redis yet): open them all before the stalls. Each
      // node's connection is bounded too, so under load a first PING may time out while connecting:
      // ping until each answers.
      for (const node of (connections.client as Cluster).nodes('master'))
        await waitFor(
          () =>
            node.ping().then(
              () => true,
              () => false,
            ),
          10_000,
        );
    }, 60_000);
    afterAll(async () => {
      await connections.close();
      await cluster.stop();
    });

    it('does not fail a command the cluster answered while the event loop was blocked past the timeout', async () => {
      expect(await failuresAcrossStalls(connections, 10)).toEqual([]);
    });

    it('fails a command sent to one node directly (SCAN on every master) when that node does not answer', async () => {
      const paused = (await cluster.masters())[0]!;
      cluster.pause(paused);
      try {
        // Before each node's connection was bounded, this waited as long as the pause.
        await expect(
          scanEach(connections.client, 'timeout-spec:none:*', async () => undefined),
        ).rejects.toThrow(COMMAND_TIMED_OUT);
      } finally {
        cluster.resume(paused);
      }
      await scanEach(connections.client, 'timeout-spec:none:*', async () => undefined);
    });

    // Last: the slot it moves stays moved.
    it('still fails a command redirected (MOVED) to a master that does not answer', async () => {
      // A key never written, so its slot holds no keys and can be given to another master
      // without the client knowing: the first master answers MOVED, and the command is sent again,
      // with a new promise, to the new owner, which is paused.
      const key = 'timeout-spec:moved';
      const slot = await cluster.cli(cluster.ports[0]!, 'cluster', 'keyslot', key);
      const owner = await cluster.masterOf(key);
      const other = (await cluster.masters()).find((port) => port !== owner)!;
      const otherId = await cluster.cli(other, 'cluster', 'myid');
      for (const port of [other, owner]) await cluster.cli(port, 'cluster', 'setslot', slot, 'node', otherId);
      cluster.pause(other);
      try {
        // Before the timer was kept past a redirection, this waited as long as the pause.
        await expect(connections.client.get(key)).rejects.toThrow(COMMAND_TIMED_OUT);
      } finally {
        cluster.resume(other);
      }
    });
  });
});
