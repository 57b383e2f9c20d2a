import { EventEmitter } from 'node:events';
import { ShardedSubscriber } from './sharded-subscriber.patch.js';

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
