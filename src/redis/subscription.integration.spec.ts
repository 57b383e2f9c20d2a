import { Redis, type RedisOptions } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../test/fixtures/deferred.js';
import { freePort, RedisServerProcess, serviceSubscriber } from '../../test/fixtures/redis.js';
import { TcpProxy } from '../../test/fixtures/tcp-proxy.js';
import type { RedisClient } from './redis-connections.js';
import { keepSubscribed } from './subscription.js';

// A Redis of its own, killed and restarted under live subscriptions.
describe('keepSubscribed (a Redis killed and restarted)', () => {
  let server: RedisServerProcess;
  const connections: RedisClient[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    server = new RedisServerProcess(await freePort());
    await server.start();
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    for (const connection of connections) connection.disconnect();
    await server.stop();
  });
  beforeEach(() => {
    unhandled.length = 0;
  });

  /** A subscriber made as the service makes its own, reconnecting quickly; closed after all tests. */
  const subscriber = (url = server.url, options: RedisOptions = {}) => {
    const made = serviceSubscriber(url, { retryStrategy: () => 20, ...options });
    connections.push(made);
    return made;
  };
  const publish = async (channel: string, message: string) => {
    const publisher = new Redis(server.url);
    try {
      return await publisher.publish(channel, message);
    } finally {
      publisher.disconnect();
    }
  };
  const restart = async () => {
    await server.kill();
    await server.start();
  };

  it('subscribes again after Redis comes back, and reports it once Redis has answered', async () => {
    const connection = subscriber();
    const heard: string[] = [];
    connection.on('message', (_channel: string, message: string) => heard.push(message));
    let resubscribed = 0;
    const failures: Error[] = [];
    await keepSubscribed(connection, ['ch:a', 'ch:b'], {
      resubscribed: () => resubscribed++,
      rerouted: () => undefined,
      failed: (error) => failures.push(error),
    });
    expect(await publish('ch:a', 'before')).toBe(1);

    await restart();
    await waitFor(() => resubscribed === 1);
    // Reported after Redis answered the SUBSCRIBE: both channels deliver from then on.
    expect(await publish('ch:a', 'after a')).toBe(1);
    expect(await publish('ch:b', 'after b')).toBe(1);
    await waitFor(() => heard.length === 3);
    expect(heard).toEqual(['before', 'after a', 'after b']);
    expect(failures).toEqual([]);

    await restart();
    await waitFor(() => resubscribed === 2);
    expect(await publish('ch:b', 'again')).toBe(1);
  });

  it('a first subscription that failed (Redis down at start) is made once Redis is back', async () => {
    await server.kill();
    let restarted = false;
    try {
      // As the service's connections are made: a queued command fails after a retry.
      const connection = subscriber(server.url, { maxRetriesPerRequest: 1 });
      const heard: string[] = [];
      connection.on('message', (_channel: string, message: string) => heard.push(message));
      let resubscribed = 0;
      const first = keepSubscribed(connection, ['ch:d'], {
        resubscribed: () => resubscribed++,
        rerouted: () => undefined,
        failed: () => undefined,
      });
      await expect(first).rejects.toThrow(/max retries per request/);
      await server.start();
      restarted = true;
      await waitFor(() => resubscribed === 1);
      expect(await publish('ch:d', 'late')).toBe(1);
      await waitFor(() => heard.length === 1);
    } finally {
      if (!restarted) await server.start();
    }
  });

  it('a resubscription cut short (closed before Redis answered) fails as reported, not as an unhandled rejection', async () => {
    const proxy = new TcpProxy({ host: '127.0.0.1', port: server.port });
    const port = await proxy.listen();
    try {
      const connection = subscriber(`redis://127.0.0.1:${port}`);
      let resubscribed = 0;
      const failures: Error[] = [];
      await keepSubscribed(connection, ['ch:c'], {
        resubscribed: () => resubscribed++,
        rerouted: () => undefined,
        failed: (error) => failures.push(error),
      });
      // The connection drops; when it is back, its SUBSCRIBE is lost on the way and the connection
      // is closed before any answer, as a shutdown (or a second drop) does at that moment.
      // Listeners run in order: keepSubscribed's has sent its SUBSCRIBE when this one runs.
      connection.once('ready', () => {
        proxy.dropBytes();
        connection.disconnect();
      });
      await proxy.refuse();
      await proxy.restore();
      await waitFor(() => failures.length === 1);
      await sleep(50); // a rejection nobody handles is reported after the microtasks of its turn
      expect(failures[0]!.message).toMatch(/Connection is closed/);
      expect(unhandled).toEqual([]);
      expect(resubscribed).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
