import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import { InvalidationBus, RENEW_AFTER_MS } from './invalidation-bus.js';

/**
 * The bus sending its SSUBSCRIBE again while its channel is silent, on doubles of a Cluster's
 * connections (a subscription lost with its connection open is shown for real, on a Cluster, by
 * invalidation-bus.cluster.integration.spec.ts): when, how often, and only on a Cluster.
 */
function clusterDouble() {
  const connection = Object.create(Cluster.prototype) as Cluster;
  const ssubscribe = jest.fn(() => Promise.resolve(1));
  const spublish = jest.fn(() => Promise.resolve(1));
  Object.assign(connection, { status: 'ready', ssubscribe, spublish });
  return { connection, ssubscribe, spublish };
}

function busOn(subscriber: Cluster | Redis, publisher: Cluster | Redis) {
  const resubscribed = jest.fn();
  const bus = new InvalidationBus(
    publisher,
    subscriber,
    '{p}:bus',
    'replica-a',
    { onEvictions: () => undefined, onResubscribed: resubscribed },
    { heartbeatMs: 50, deafAfterMs: 300 },
  );
  return { bus, resubscribed };
}

describe('InvalidationBus on a Cluster, while its channel is silent', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('sends its SSUBSCRIBE again after RENEW_AFTER_MS of silence, then after twice the wait each time, and counts each answer as a resubscription', async () => {
    const subscriber = clusterDouble();
    const { bus, resubscribed } = busOn(subscriber.connection, clusterDouble().connection);
    await bus.start();
    expect(subscriber.ssubscribe).toHaveBeenCalledTimes(1);

    await jest.advanceTimersByTimeAsync(RENEW_AFTER_MS - 100);
    expect(subscriber.ssubscribe).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(100);
    expect(subscriber.ssubscribe).toHaveBeenCalledTimes(2);
    expect(subscriber.ssubscribe).toHaveBeenLastCalledWith('{p}:bus');
    expect(bus.counters).toMatchObject({ renewals: 1, resubscriptions: 1 });
    expect(resubscribed).toHaveBeenCalledTimes(1);

    // The next after RENEW_AFTER_MS more, then twice that, then four times.
    await jest.advanceTimersByTimeAsync(RENEW_AFTER_MS);
    expect(subscriber.ssubscribe).toHaveBeenCalledTimes(3);
    await jest.advanceTimersByTimeAsync(2 * RENEW_AFTER_MS - 100);
    expect(subscriber.ssubscribe).toHaveBeenCalledTimes(3);
    await jest.advanceTimersByTimeAsync(100);
    expect(subscriber.ssubscribe).toHaveBeenCalledTimes(4);
    await jest.advanceTimersByTimeAsync(4 * RENEW_AFTER_MS);
    expect(subscriber.ssubscribe).toHaveBeenCalledTimes(5);
    // Never more often than every 30 s.
    await jest.advanceTimersByTimeAsync(30_000);
    expect(subscriber.ssubscribe).toHaveBeenCalledTimes(6);
    expect(bus.counters.renewals).toBe(5);
    await bus.close();
  });

  it('a channel heard again starts the wait over; a rejected SSUBSCRIBE is counted as a failure', async () => {
    const subscriber = clusterDouble();
    const { bus } = busOn(subscriber.connection, clusterDouble().connection);
    await bus.start();
    subscriber.ssubscribe.mockImplementationOnce(() =>
      Promise.reject(new Error('No subscriber for the cluster')),
    );
    await jest.advanceTimersByTimeAsync(RENEW_AFTER_MS);
    expect(bus.counters).toMatchObject({ renewals: 1, resubscriptions: 0, resubscribeFailures: 1 });

    // Its own heartbeat comes back: the silence is over.
    subscriber.connection.emit(
      'smessage',
      '{p}:bus',
      JSON.stringify({ v: 1, s: 'replica-a', n: 1, keys: [], patterns: [], tags: [], namespaces: [] }),
    );
    expect(bus.hears()).toBe(true);
    await jest.advanceTimersByTimeAsync(RENEW_AFTER_MS - 100);
    expect(subscriber.ssubscribe).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(100);
    expect(subscriber.ssubscribe).toHaveBeenCalledTimes(3);
    await bus.close();
  });

  it('once closed, sends nothing again', async () => {
    const subscriber = clusterDouble();
    const { bus } = busOn(subscriber.connection, clusterDouble().connection);
    await bus.start();
    await bus.close();
    await jest.advanceTimersByTimeAsync(10 * RENEW_AFTER_MS);
    expect(subscriber.ssubscribe).toHaveBeenCalledTimes(1);
  });

  it('on a standalone Redis, never: Redis does not drop a subscription while its connection stays open', async () => {
    const subscriber = Object.create(Redis.prototype) as Redis;
    const subscribe = jest.fn(() => Promise.resolve(1));
    Object.assign(subscriber, { status: 'ready', subscribe, options: { autoResubscribe: false } });
    const publisher = Object.create(Redis.prototype) as Redis;
    Object.assign(publisher, { publish: jest.fn(() => Promise.resolve(1)) });
    const { bus } = busOn(subscriber, publisher);
    await bus.start();
    await jest.advanceTimersByTimeAsync(10 * RENEW_AFTER_MS);
    expect(subscribe).toHaveBeenCalledTimes(1);
    expect(bus.counters.renewals).toBe(0);
    await bus.close();
  });
});
