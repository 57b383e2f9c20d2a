import shardedSubscriber from 'ioredis/built/cluster/ShardedSubscriber.js';

/**
 * A fix for ioredis 5.11.1's sharded subscribers (a Cluster's `shardedSubscribers`, which the
 * invalidation bus uses), applied when this module is first imported.
 *
 * When the Cluster stops one of them (the master of its slots changed, or it failed), `stop()`
 * disconnects its connection and removes every listener of it at once, before the connection has
 * closed. Whatever Redis sends meanwhile is still read. A node that loses a slot pushes SUNSUBSCRIBE
 * to the subscribers of the slot's channels; ioredis reads it as the reply of a command nobody sent
 * and emits `error` ("Command queue state error") on a connection without a listener, and Node
 * ends the process. It ended a service replica in 1 of 5 runs of the Cluster
 * history checker. Here a stopped subscriber's connection keeps a listener that ignores errors: the
 * connection is being closed, and what it reports no longer matters.
 */
const ShardedSubscriber = shardedSubscriber.default ?? shardedSubscriber;
const stop = ShardedSubscriber.prototype.stop;
if (typeof stop !== 'function' || typeof ShardedSubscriber.prototype.getInstance !== 'function') {
  // An ioredis whose internals moved: say so at start-up rather than run without the fix.
  throw new Error('ioredis ShardedSubscriber has no stop()/getInstance(): check sharded-subscriber.patch.ts');
}
ShardedSubscriber.prototype.stop = function stopKeepingAnErrorListener(
  this: InstanceType<typeof ShardedSubscriber>,
) {
  const connection = this.getInstance();
  stop.call(this);
  connection?.on('error', ignore);
};

function ignore(): void {}

export { ShardedSubscriber };
