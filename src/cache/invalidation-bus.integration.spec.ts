import { jest } from '@jest/globals';
import type { Redis } from 'ioredis';
import { busReplica } from '../../test/fixtures/bus-replica.js';
import { Deferred, waitFor } from '../../test/fixtures/deferred.js';
import {
  createHybrid,
  deletePrefix,
  rawClient,
  serviceSubscriber,
  TEST_REDIS_URL,
  uniquePrefix,
  type HybridHandle,
} from '../../test/fixtures/redis.js';
import { BUS_SEGMENT } from './cache.constants.js';
import { evictionSet, evictionSetSize, type EvictionSet } from './eviction-set.js';
import { InvalidationBus, parseBusMessage } from './invalidation-bus.js';

const valid = {
  v: 1,
  s: 'replica-b',
  keys: ['p:user:1'],
  patterns: [['video', 'list:*']],
  tags: ['t'],
  namespaces: ['search'],
};
const json = (value: unknown) => JSON.stringify(value);
const set = evictionSet;

describe('parseBusMessage', () => {
  it('accepts a well-formed message', () => {
    expect(parseBusMessage(json(valid))).toEqual(valid);
    expect(
      parseBusMessage(json({ ...valid, keys: [], patterns: [], tags: [], namespaces: [] })),
    ).toBeDefined();
  });

  it.each([
    ['not JSON', 'evict everything'],
    ['truncated JSON', json(valid).slice(0, -1)],
    ['an empty message', ''],
    ['null', 'null'],
    ['a number', '1'],
    ['a string', json(json(valid))],
    ['an array', json([valid])],
    ['no version', json({ ...valid, v: undefined })],
    ['another version', json({ ...valid, v: 2 })],
    ['the version as a string', json({ ...valid, v: '1' })],
    ['no sender', json({ ...valid, s: undefined })],
    ['a numeric sender', json({ ...valid, s: 7 })],
    ['keys not an array', json({ ...valid, keys: 'p:user:1' })],
    ['a key that is not a string', json({ ...valid, keys: ['p:user:1', 2] })],
    ['a key that is an object', json({ ...valid, keys: [{ toString: 'x' }] })],
    ['patterns missing', json({ ...valid, patterns: undefined })],
    ['a pattern that is not a pair', json({ ...valid, patterns: [['video']] })],
    ['a pattern with three parts', json({ ...valid, patterns: [['video', '*', 'x']] })],
    ['a pattern with a numeric glob', json({ ...valid, patterns: [['video', 1]] })],
    ['a pattern that is a string', json({ ...valid, patterns: ['video:*'] })],
    ['tags missing', json({ ...valid, tags: undefined })],
    ['a null tag', json({ ...valid, tags: [null] })],
    ['namespaces not an array', json({ ...valid, namespaces: { 0: 'user' } })],
  ])('rejects %s', (_, raw) => {
    expect(parseBusMessage(raw)).toBeUndefined();
  });

  it("accepts the sender's clock and a W3C traceparent, and rejects malformed ones (older messages have neither)", () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(parseBusMessage(json({ ...valid, t: 1_700_000_000_000, tp: traceparent }))).toEqual({
      ...valid,
      t: 1_700_000_000_000,
      tp: traceparent,
    });
    for (const bad of [
      { t: -1 },
      { t: '1' },
      { t: null },
      { tp: 'x' },
      { tp: traceparent.toUpperCase() },
      { tp: 1 },
    ]) {
      expect(parseBusMessage(json({ ...valid, ...bad }))).toBeUndefined();
    }
  });

  it('never evaluates what a message carries, and a __proto__ key pollutes nothing', () => {
    const exits = jest.spyOn(process, 'exit').mockImplementation(() => {
      throw new Error('process.exit was called');
    });
    try {
      const code = '_function_x|() => process.exit(1)';
      const raw = `{"__proto__":{"polluted":true},"v":1,"s":"${code}","keys":["${code}"],"patterns":[],"tags":["_regexp_/x/g"],"namespaces":[]}`;
      const message = parseBusMessage(raw);
      expect(message?.s).toBe(code);
      expect(message?.keys).toEqual([code]);
      expect(message?.tags).toEqual(['_regexp_/x/g']);
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
      expect(exits).not.toHaveBeenCalled();
    } finally {
      exits.mockRestore();
    }
  });
});

describe('InvalidationBus over Redis', () => {
  let prefix: string;
  let channel: string;
  let clients: Redis[];
  let buses: InvalidationBus[];
  /** A plain subscriber that records every raw message on the channel. */
  let observed: string[];
  /** The senders of the heartbeats the observer saw, in order. */
  let heartbeats: string[];
  let observedChanged: () => void;

  const client = () => {
    const c = rawClient();
    clients.push(c);
    return c;
  };

  /** A replica's bus on its own two connections, recording what it is told to evict. */
  async function replica(id: string, subscriber = client()) {
    const made = busReplica(client(), subscriber, channel, id, { heartbeatMs: 50, deafAfterMs: 200 });
    buses.push(made.bus);
    await made.bus.start();
    return made;
  }

  /** Resolves once the observer has seen `count` messages in total. */
  function observedCount(count: number): Promise<void> {
    const done = new Deferred();
    observedChanged = () => observed.length >= count && done.resolve();
    observedChanged();
    return done.promise;
  }

  beforeEach(async () => {
    prefix = uniquePrefix('bus');
    channel = `${prefix}:${BUS_SEGMENT}`;
    clients = [];
    buses = [];
    observed = [];
    heartbeats = [];
    observedChanged = () => {};
    const observer = client();
    observer.on('message', (ch: string, raw: string) => {
      if (ch !== channel) return;
      // Heartbeats (empty messages) are checked on their own below; these tests look at evictions.
      const message = parseBusMessage(raw);
      if (message && evictionSetSize(message) === 0) {
        heartbeats.push(message.s);
        return;
      }
      observed.push(raw);
      observedChanged();
    });
    await observer.subscribe(channel);
  });

  afterEach(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('publishes the evictions of one tick as one message, which the other replica receives', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');

    const first = a.bus.publish(set({ keys: ['p:user:1'] }));
    const second = a.bus.publish(set({ keys: ['p:user:2'], tags: ['t'] }));
    const third = a.bus.publish(set({ patterns: [['video', 'list:*']], namespaces: ['search'] }));
    await Promise.all([first, second, third]);
    await Promise.all([b.received(1), observedCount(1)]);

    expect(a.bus.counters.published).toBe(1);
    expect(observed).toHaveLength(1);
    expect(JSON.parse(observed[0]!)).toEqual({
      v: 1,
      s: 'replica-a',
      n: expect.any(Number),
      t: expect.any(Number),
      keys: ['p:user:1', 'p:user:2'],
      patterns: [['video', 'list:*']],
      tags: ['t'],
      namespaces: ['search'],
    });
    expect(b.evictions).toHaveLength(1);
    expect(b.evictions[0]).toMatchObject({
      keys: ['p:user:1', 'p:user:2'],
      tags: ['t'],
      namespaces: ['search'],
    });
    expect(b.bus.counters.received).toBe(1);
    // The delay from A's publication to B's application is measured on B, once per message.
    expect(b.bus.evictionDelays.count).toBe(1);
    expect(a.bus.evictionDelays.count).toBe(0);
  });

  it('every replica sends heartbeats, and hears the channel (its own included) once subscribed', async () => {
    const a = await replica('replica-a');
    await waitFor(() => a.bus.hears(), 2_000);
    await waitFor(() => heartbeats.filter((s) => s === 'replica-a').length >= 3, 2_000);
    expect(a.evictions).toEqual([]); // a heartbeat is no eviction
    expect(a.bus.counters.received).toBe(0);
  });

  it('a replica that hears nothing for deafAfterMs is deaf until it hears again; a silence that lost nothing keeps L1', async () => {
    const subscriber = client();
    const a = await replica('replica-a', subscriber);
    await waitFor(() => a.bus.hears(), 2_000);
    // The connection stays open but nothing is read from it (as when this replica's event loop or
    // the network stalls): the messages wait in order, and nothing is lost.
    subscriber.stream.pause();
    await waitFor(() => !a.bus.hears(), 2_000);
    subscriber.stream.resume();
    await waitFor(() => a.bus.hears(), 2_000);
    expect(a.bus.counters.deafPeriods).toBe(1);
    expect(a.bus.counters.deafMs).toBeGreaterThan(200);
    expect(a.bus.counters.gaps).toBe(0);
    expect(a.resubscribed).not.toHaveBeenCalled();
  });

  it('a dropped subscriber connection is subscribed again, and only then is L1 dropped', async () => {
    const subscriber = serviceSubscriber();
    try {
      const id = await subscriber.client('ID');
      const a = await replica('replica-a', subscriber);
      const b = await replica('replica-b');
      await waitFor(() => a.bus.hears(), 2_000);
      expect(await client().client('KILL', 'ID', String(id))).toBe(1);
      // L1 is dropped once for the resubscription, and once more if a heartbeat went out while the
      // connection was away: the next one that arrives then shows a gap (counted with it).
      await waitFor(() => a.bus.counters.resubscriptions === 1, 2_000);
      expect(a.bus.counters).toMatchObject({ resubscriptions: 1, resubscribeFailures: 0 });
      expect(a.resubscribed.mock.calls.length).toBe(1 + a.bus.counters.gaps);
      // L1 was dropped once Redis had answered the SUBSCRIBE: what is published from then on arrives.
      await b.bus.publish(set({ keys: ['p:user:9'] }));
      await a.received(1);
      expect(a.evictions[0]!.keys).toEqual(['p:user:9']);
    } finally {
      subscriber.disconnect();
    }
  });

  it('a resubscription Redis refuses is counted; the bus goes deaf, so L1 is not served', async () => {
    const username = `vidcache-bus-test-${process.pid}-${Date.now()}`;
    const admin = client();
    await admin.acl('SETUSER', username, 'on', '>secret', '~*', `&${channel}`, '+@all');
    const subscriber = serviceSubscriber(TEST_REDIS_URL, { username, password: 'secret' });
    try {
      const a = await replica('replica-a', subscriber);
      await waitFor(() => a.bus.hears(), 2_000);
      // Redis 7 disconnects a client from channels its user may no longer use; the reconnection's
      // SUBSCRIBE is then refused (NOPERM).
      await admin.acl('SETUSER', username, 'resetchannels');
      await waitFor(() => a.bus.counters.resubscribeFailures === 1, 2_000);
      expect(a.resubscribed).not.toHaveBeenCalled();
      await waitFor(() => !a.bus.hears(), 2_000);
    } finally {
      subscriber.disconnect();
      await admin.acl('DELUSER', username);
    }
  });

  it('a silence that lost messages (no subscription for a while, the connection open) shows as a gap and drops L1', async () => {
    const subscriber = client();
    const a = await replica('replica-a', subscriber);
    await waitFor(() => a.bus.hears(), 2_000);
    await subscriber.unsubscribe(channel);
    await waitFor(() => !a.bus.hears(), 2_000);
    await subscriber.subscribe(channel);
    await waitFor(() => a.bus.hears(), 2_000);
    await waitFor(() => a.resubscribed.mock.calls.length === 1, 2_000);
    expect(a.bus.counters.gaps).toBe(1);
  });

  it('numbers each sender’s messages: a number skipped (a message lost on an open connection) drops L1', async () => {
    const a = await replica('replica-a');
    await waitFor(() => a.bus.hears(), 2_000);
    const publisher = client();
    const forged = (n: number) =>
      publisher.publish(channel, JSON.stringify({ v: 1, s: 'replica-x', n, ...evictionSet() }));
    await forged(1);
    await forged(2);
    await waitFor(() => heartbeats.filter((s) => s === 'replica-x').length === 2, 2_000);
    expect(a.resubscribed).not.toHaveBeenCalled();
    await forged(5); // 3 and 4 never arrived
    await waitFor(() => a.resubscribed.mock.calls.length === 1, 2_000);
    expect(a.bus.counters.gaps).toBe(1);
    await forged(6);
    await waitFor(() => heartbeats.filter((s) => s === 'replica-x').length === 4, 2_000);
    expect(a.resubscribed).toHaveBeenCalledTimes(1);
  });

  it('publishes nothing for an empty eviction', async () => {
    const a = await replica('replica-a');
    await a.bus.publish(evictionSet());
    await a.bus.publish(set({ keys: ['p:user:1'] }));
    await observedCount(1);
    expect(a.bus.counters.published).toBe(1);
    expect(JSON.parse(observed[0]!).keys).toEqual(['p:user:1']);
  });

  it('publishes evictions of a later tick as another message', async () => {
    const a = await replica('replica-a');
    await a.bus.publish(set({ keys: ['p:user:1'] }));
    await a.bus.publish(set({ keys: ['p:user:2'] }));
    await observedCount(2);
    expect(observed.map((raw) => JSON.parse(raw).keys)).toEqual([['p:user:1'], ['p:user:2']]);
  });

  it('a replica ignores its own messages', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');

    await a.bus.publish(set({ keys: ['p:user:from-a'] }));
    await b.bus.publish(set({ keys: ['p:user:from-b'] }));
    // A's subscriber gets messages in channel order, so once it has B's it has seen its own too.
    await a.received(1);
    await b.received(1);

    expect(a.evictions.map((e) => e.keys)).toEqual([['p:user:from-b']]);
    expect(b.evictions.map((e) => e.keys)).toEqual([['p:user:from-a']]);
    expect(a.bus.counters.received).toBe(1);
    expect(a.bus.counters.malformed).toBe(0);
  });

  it('splits more than 1,000 keys into several messages, none over 1,000 keys', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    const keys = Array.from({ length: 2_500 }, (_, i) => `p:video:${i}`);

    const first = a.bus.publish(
      set({ keys: keys.slice(0, 1_200), tags: ['t'], patterns: [['video', 'x:*']] }),
    );
    await Promise.resolve();
    expect(a.bus.counters.published).toBe(0); // still batching: a call in the same tick joins the same flush
    const second = a.bus.publish(set({ keys: keys.slice(1_200) }));
    await Promise.all([first, second]);
    await Promise.all([b.received(3), observedCount(3)]);

    expect(a.bus.counters.published).toBe(3);
    const messages = observed.map((raw) => JSON.parse(raw) as EvictionSet);
    expect(messages.map((m) => m.keys.length)).toEqual([1_000, 1_000, 500]);
    expect(messages.flatMap((m) => m.keys)).toEqual(keys);
    expect(messages.map((m) => m.tags)).toEqual([['t'], [], []]);
    expect(b.evictions.flatMap((e) => e.keys)).toEqual(keys);
    expect(b.evictions.flatMap((e) => e.patterns)).toEqual([['video', 'x:*']]);
  });

  it('counts a malformed message and carries on', async () => {
    const b = await replica('replica-b');
    const publisher = client();
    const malformed = [
      'not json',
      '{"v":2}',
      json({ ...valid, s: 'x', keys: [1] }),
      '',
      'null',
      json({ ...valid, patterns: 'x' }),
    ];
    for (const raw of malformed) await publisher.publish(channel, raw);
    await publisher.publish(channel, json({ ...valid, s: 'replica-x', keys: ['p:user:after'] }));
    await b.received(1);

    expect(b.bus.counters.malformed).toBe(malformed.length);
    expect(b.bus.counters.received).toBe(1);
    expect(b.evictions.map((e) => e.keys)).toEqual([['p:user:after']]);
  });

  it('ignores messages on other channels', async () => {
    const b = await replica('replica-b');
    const publisher = client();
    const other = client();
    await other.subscribe(`${channel}-other`);
    // The bus's subscriber is subscribed to one channel only; a message on another never reaches it.
    await publisher.publish(`${channel}-other`, json({ ...valid, s: 'x' }));
    await publisher.publish(channel, json({ ...valid, s: 'x', keys: ['p:user:only'] }));
    await b.received(1);
    expect(b.evictions.map((e) => e.keys)).toEqual([['p:user:only']]);
  });

  it('close() waits for a message being published', async () => {
    const a = await replica('replica-a');
    const publishing = a.bus.publish(set({ keys: ['p:user:last'] }));
    await a.bus.close();
    await publishing;
    expect(a.bus.counters.published).toBe(1);
  });
});

describe('a hybrid cache on the bus', () => {
  let prefix: string;
  let handle: HybridHandle;
  let publisher: Redis;

  beforeEach(async () => {
    prefix = uniquePrefix('bus-hybrid');
    handle = await createHybrid({
      prefix,
      redisUrl: TEST_REDIS_URL,
      instanceId: 'replica-a',
      namespaces: { user: {}, video: {}, search: {} },
    });
    publisher = rawClient();
  });

  afterEach(async () => {
    await handle.close();
    await deletePrefix(publisher, prefix);
    await publisher.quit();
  });

  const inL1 = (namespace: string, key: string) => handle.cache.inL1(handle.cache.keyOf(namespace, key));

  it('survives malformed and hostile messages, and still applies the next valid one', async () => {
    const { cache } = handle;
    await cache.wrap('user', 'u1', async () => 'profile');
    await cache.wrap('video', 'v1', async () => 'video');
    const channel = `${prefix}:${BUS_SEGMENT}`;
    const message = (partial: object) =>
      json({ v: 1, s: 'replica-b', keys: [], patterns: [], tags: [], namespaces: [], ...partial });

    await publisher.publish(channel, 'not json');
    await publisher.publish(channel, message({ keys: [7] }));
    // Well-formed, but globs no replica would send: a reversed range, an unclosed class, a lone escape.
    await publisher.publish(
      channel,
      message({
        patterns: [
          ['video', '[z-a]'],
          ['video', '[abc'],
          ['video', '\\'],
        ],
      }),
    );
    await publisher.publish(
      channel,
      message({ patterns: [['no-such-namespace', '*']], namespaces: ['no-such-namespace'] }),
    );
    await publisher.publish(channel, message({ keys: [cache.keyOf('user', 'u1')] }));

    await waitFor(() => !inL1('user', 'u1'));
    expect(cache.stats().bus).toMatchObject({ malformed: 2, received: 3 });
    expect(inL1('video', 'v1')).toBe(true);
  });

  it('drops what another replica evicted, and ignores its own echo', async () => {
    const { cache } = handle;
    await cache.wrap('user', 'u1', async () => 'profile');
    await cache.delete('user', 'u2'); // publishes an eviction as replica-a; its echo must not count
    await publisher.publish(
      `${prefix}:${BUS_SEGMENT}`,
      json({ ...valid, s: 'replica-b', keys: [cache.keyOf('user', 'u1')] }),
    );
    await waitFor(() => !inL1('user', 'u1'));
    expect(cache.stats().bus).toMatchObject({ published: 1, received: 1, malformed: 0 });
  });
});
