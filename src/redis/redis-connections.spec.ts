import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { createRedisConnections } from './redis-connections.js';

describe('createRedisConnections', () => {
  afterEach(() => jest.restoreAllMocks());

  // What ioredis 5.11.1 does when a Cluster's ready check fails (its CLUSTER INFO timed out, as the
  // first command to a node can under load): it connects again and becomes ready, but the promise
  // of the first connect() never settles. Start-up must take the 'ready' of the retry.
  it('counts a Cluster ready when it emits ready, though its first connect() never settles', async () => {
    jest.spyOn(Cluster.prototype, 'connect').mockImplementation(function (this: Cluster) {
      setTimeout(() => this.emit('ready'), 100);
      return new Promise<void>(() => undefined);
    });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);

    const connections = await createRedisConnections({
      redis: { mode: 'cluster', nodes: [{ host: '127.0.0.1', port: 1 }], url: undefined },
      redisOptions: {},
      instanceId: 'connections-spec',
      l2: { timeoutMs: 150 },
    } as Parameters<typeof createRedisConnections>[0]);

    expect(warn).not.toHaveBeenCalled();
    connections!.client.disconnect();
    connections!.subscriber.disconnect();
    connections!.writer.disconnect();
  });
});
