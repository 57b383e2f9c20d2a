import subscriberGroup from 'ioredis/built/cluster/ClusterSubscriberGroup.js';
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

/**
 * A second fix, for the subscriber group: `addChannels` appends the channels of every SSUBSCRIBE to
 * the list it subscribes again after a reconnection, even those it holds already. The bus sends
 * SSUBSCRIBE again when its channel has been silent for long (subscribeAgain in subscription.ts),
 * and the list would grow by one each time. Here a channel already held is not added again.
 */
const ClusterSubscriberGroup = subscriberGroup.default ?? subscriberGroup;
const addChannels = ClusterSubscriberGroup.prototype.addChannels;
if (typeof addChannels !== 'function') {
  throw new Error('ioredis ClusterSubscriberGroup has no addChannels(): check sharded-subscriber.patch.ts');
}
type Channel = string | Buffer;
ClusterSubscriberGroup.prototype.addChannels = function addChannelsOnce(
  this: InstanceType<typeof ClusterSubscriberGroup>,
  channels: Channel[],
): number {
  const lists = [...(this as unknown as { channels: Map<number, Channel[]> }).channels.values()];
  const held = new Set(lists.flat().map(String));
  const fresh = channels.filter(
    (channel, i) => !held.has(String(channel)) && channels.indexOf(channel) === i,
  );
  // Nothing new: the count of channels held, as addChannels returns it.
  if (fresh.length === 0) return lists.reduce((sum, list) => sum + list.length, 0);
  return addChannels.call(this, fresh);
};

export { ClusterSubscriberGroup, ShardedSubscriber };
