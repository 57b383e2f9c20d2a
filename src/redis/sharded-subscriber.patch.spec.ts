import { EventEmitter } from 'node:events';
import { ClusterSubscriberGroup, ShardedSubscriber } from './sharded-subscriber.patch.js';

describe('the fix for ioredis sharded subscribers that are stopped', () => {
  it('an error on the connection of a stopped subscriber (a SUNSUBSCRIBE Redis pushed meanwhile) does not end the process', () => {
    const group = new EventEmitter();
    group.on('nodeError', () => undefined);
    const subscriber = new ShardedSubscriber(group, { host: '127.0.0.1', port: 1 }, { lazyConnect: true });
    const connection = subscriber.getInstance()!;

    subscriber.stop();

    // Without the fix, stop() left the connection without any listener and this threw.
    expect(() =>
      connection.emit('error', new Error('Command queue state error. Last reply: sunsubscribe,ch,0')),
    ).not.toThrow();
    expect(subscriber.getInstance()).toBeNull();
  });
});

describe('the fix for the ioredis subscriber group’s channel list', () => {
  const held = (group: InstanceType<typeof ClusterSubscriberGroup>) =>
    [...(group as unknown as { channels: Map<number, string[]> }).channels.values()].flat();

  it('an SSUBSCRIBE of a channel already held does not add it again (the list ioredis subscribes again after a reconnection)', () => {
    const group = new ClusterSubscriberGroup(new EventEmitter(), {});

    expect(group.addChannels(['{a}bus'])).toBe(1);
    // Without the fix, each of these appended another '{a}bus'.
    expect(group.addChannels(['{a}bus'])).toBe(1);
    expect(group.addChannels(['{a}bus', '{a}bus'])).toBe(1);
    expect(group.addChannels(['{a}other', '{a}bus'])).toBe(2);
    expect(held(group)).toEqual(['{a}bus', '{a}other']);
  });

  it('still refuses channels of different slots', () => {
    const group = new ClusterSubscriberGroup(new EventEmitter(), {});
    expect(group.addChannels(['{a}bus', '{b}bus'])).toBe(-1);
    expect(held(group)).toEqual([]);
  });
});
