import { jest } from '@jest/globals';
import type { RedisClient } from '../../redis/redis-connections.js';
import { resolveCacheOptions } from '../cache-options.js';
import { NotReplicatedError, RedisStore } from './redis.store.js';

/** A single Redis whose ROLE and WAIT answer as told (a chaos double: no network). */
function master(replicas: number) {
  const role = jest.fn<() => Promise<unknown[]>>(() =>
    Promise.resolve([
      'master',
      100,
      Array.from({ length: replicas }, (_, i) => ['127.0.0.1', `${7000 + i}`, '100']),
    ]),
  );
  const wait = jest.fn<(count: number, timeoutMs: number) => Promise<number>>((count) =>
    Promise.resolve(count),
  );
  const store = new RedisStore(
    { role, wait } as unknown as RedisClient,
    resolveCacheOptions({ prefix: 'replicated-spec' }),
  );
  return { store, role, wait };
}

describe('RedisStore.replicated: WAIT for the replicas a master has connected', () => {
  beforeEach(() =>
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }),
  );
  afterEach(() => jest.useRealTimers());

  it('waits for as many replicas as ROLE lists, and fails when fewer acknowledge', async () => {
    const { store, wait } = master(2);
    await store.replicated(['replicated-spec:item:k'], 500);
    expect(wait).toHaveBeenLastCalledWith(2, 500);
    wait.mockResolvedValueOnce(1);
    await expect(store.replicated(['replicated-spec:item:k'], 500)).rejects.toThrow(
      new NotReplicatedError(1, 2, 500).message,
    );
  });

  it('does not wait on a master without replicas', async () => {
    const { store, wait } = master(0);
    await store.replicated('all', 500);
    expect(wait).not.toHaveBeenCalled();
  });

  it('reads ROLE once per second at most, in the background once the count is known, and keeps the count when ROLE fails', async () => {
    const { store, role, wait } = master(1);
    await store.replicated(['k'], 500);
    await store.replicated(['k'], 500);
    expect(role).toHaveBeenCalledTimes(1);

    jest.setSystemTime(Date.now() + 1_000);
    // Redis is slow to answer ROLE: the write does not wait for it, nor fail with it.
    role.mockImplementationOnce(() => Promise.reject(new Error('Command timed out')));
    await store.replicated(['k'], 500);
    expect(role).toHaveBeenCalledTimes(2);
    expect(wait).toHaveBeenCalledTimes(3);
    expect(wait).toHaveBeenLastCalledWith(1, 500);

    // The next write tries ROLE again; it now says the replica is gone.
    role.mockResolvedValueOnce(['master', 100, []]);
    await store.replicated(['k'], 500);
    expect(role).toHaveBeenCalledTimes(3);
    await store.replicated(['k'], 500);
    expect(wait).toHaveBeenCalledTimes(4);
  });
});
