import type { Command } from 'ioredis';
import type { RedisClient } from './redis-connections.js';

/** The message ioredis gives its own command timeout; the cache counts errors that say "timed out". */
export const COMMAND_TIMED_OUT = 'Command timed out';

const armed = Symbol('vidcache.commandTimeout');
type ArmedCommand = Command & { [armed]?: true };

/**
 * Bounds every command `client` sends: a command not answered within `timeoutMs` is rejected with
 * "Command timed out". It replaces ioredis's `commandTimeout` option, which judges too early after
 * an event-loop stall.
 *
 * ioredis arms a plain timer per command. After the loop was blocked for longer than the timeout
 * (a long GC pause, a burst of synchronous work), Node runs the expired timers before it reads the
 * sockets, so a reply that arrived during the stall is never looked at: the command is declared
 * timed out although Redis answered. Here the timer waits for one more turn of the loop
 * (`setImmediate` runs after the poll phase), so replies already received settle their commands
 * first, and only a command still unanswered then is timed out. A Redis that is really slow or gone
 * still fails the command after `timeoutMs` plus one turn of the loop.
 *
 * The wrapper is set on this connection only (its `sendCommand`, through which ioredis sends every
 * command, pipelined or not; on a Cluster, before the command is routed to a node). A command sent
 * again (a Cluster redirection) keeps its first deadline.
 */
export function boundCommands<T extends RedisClient>(client: T, timeoutMs: number): T {
  const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => unknown;
  const bounded = (command: ArmedCommand, ...rest: unknown[]) => {
    if (!command[armed]) {
      command[armed] = true;
      const timer = setTimeout(() => setImmediate(() => expire(command)), timeoutMs);
      const clear = () => clearTimeout(timer);
      command.promise.then(clear, clear);
    }
    return send(command, ...rest);
  };
  (client as { sendCommand: unknown }).sendCommand = bounded;
  return client;
}

function expire(command: Command): void {
  if (!command.isResolved) command.reject(new Error(COMMAND_TIMED_OUT));
}
