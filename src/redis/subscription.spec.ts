import { jest } from '@jest/globals';
import { Cluster } from 'ioredis';
import { keepSubscribed } from './subscription.js';

/**
 * A Cluster client whose SSUBSCRIBEs get the given answers in turn (a chaos double: the rejection
 * of a first SSUBSCRIBE is not something a real cluster produces on demand).
 */
function clusterAnswering(...answers: Array<'ok' | 'rejected'>) {
  const ssubscribe = jest.fn(() =>
    answers.shift() === 'ok'
      ? Promise.resolve(1)
      : Promise.reject(new Error('No sharded subscriber for slot: 42')),
  );
  const cluster = Object.assign(Object.create(Cluster.prototype) as Cluster, { status: 'ready', ssubscribe });
  return { cluster, ssubscribe };
}

const recorder = () => {
  const seen: string[] = [];
  return {
    seen,
    events: {
      resubscribed: () => seen.push('resubscribed'),
      rerouted: () => seen.push('rerouted'),
      failed: (error: Error) => seen.push(`failed: ${error.message}`),
    },
  };
};

describe('keepSubscribed on a Cluster, when the first SSUBSCRIBE is rejected', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends it again, less and less often, until one is answered, and reports that as a resubscription', async () => {
    const { cluster, ssubscribe } = clusterAnswering('rejected', 'rejected', 'ok');
    const { seen, events } = recorder();
    await expect(keepSubscribed(cluster, ['ch'], events)).rejects.toThrow(/No sharded subscriber/);

    await jest.advanceTimersByTimeAsync(1_000);
    expect(ssubscribe).toHaveBeenCalledTimes(2);
    expect(seen).toEqual(['failed: No sharded subscriber for slot: 42']);
    await jest.advanceTimersByTimeAsync(1_999);
    expect(ssubscribe).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(ssubscribe).toHaveBeenCalledTimes(3);
    expect(ssubscribe).toHaveBeenLastCalledWith('ch');
    expect(seen).toEqual(['failed: No sharded subscriber for slot: 42', 'resubscribed']);

    await jest.advanceTimersByTimeAsync(60_000);
    expect(ssubscribe).toHaveBeenCalledTimes(3);
  });

  it('stops once the connection is closed for good', async () => {
    const { cluster, ssubscribe } = clusterAnswering('rejected', 'ok');
    const { seen, events } = recorder();
    await expect(keepSubscribed(cluster, ['ch'], events)).rejects.toThrow(/No sharded subscriber/);
    Object.assign(cluster, { status: 'end' });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(ssubscribe).toHaveBeenCalledTimes(1);
    expect(seen).toEqual([]);
  });

  it('a first SSUBSCRIBE that was answered is not sent again', async () => {
    const { cluster, ssubscribe } = clusterAnswering('ok');
    const { seen, events } = recorder();
    await keepSubscribed(cluster, ['ch'], events);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(ssubscribe).toHaveBeenCalledTimes(1);
    expect(seen).toEqual([]);
  });
});
