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
 * `WAIT` gets its own timeout on top (Redis answers it only then, when replicas are slow).
 *
 * The wrapper is set on this connection only (its `sendCommand`, through which ioredis sends every
 * command, pipelined or not; on a Cluster, before the command is routed to a node). A command sent
 * again keeps its first deadline. Only an answer disarms the timer, not a rejection: on a Cluster, a
 * pipeline (auto-pipelining makes one of each tick's commands) rejects a command's promise with a
 * redirection or a closed connection, then sends the command again with a new promise, and the
 * timer rejects whichever promise the command has at its deadline. (Disarmed on the first
 * rejection, a command redirected to a master that had just died waited seconds, until the
 * connection attempts gave up.)
 */
export function boundCommands<T extends RedisClient>(client: T, timeoutMs: number): T {
  const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => unknown;
  const bounded = (command: ArmedCommand, ...rest: unknown[]) => {
    if (!command[armed]) {
      command[armed] = true;
      const timer = setTimeout(() => setImmediate(() => expire(command)), timeoutMs + heldFor(command));
      // It only ends a wait: a command still waited for has its connection keeping the process
      // alive, and one that was rejected unanswered (a closed connection) keeps its timer until the
      // deadline, which must not hold a process that is shutting down.
      timer.unref();
      command.promise.then(() => clearTimeout(timer), noop);
    }
    return send(command, ...rest);
  };
  (client as { sendCommand: unknown }).sendCommand = bounded;
  return client;
}

const noop = () => undefined;

/**
 * How late Redis may notice that a blocked command's timeout is over: it checks between two turns
 * of its event loop, which sleeps up to 1000 / hz ms (hz is 10 by default) when nothing happens.
 */
const REDIS_TIMEOUT_CHECK_MS = 100;

/**
 * How long Redis holds a command's answer by design, beyond the round trip: `WAIT numreplicas
 * timeout` answers once the replicas acknowledge, or once Redis sees its own timeout is over.
 */
function heldFor(command: Command): number {
  if (command.name !== 'wait') return 0;
  const held = Number(command.args[1]);
  return Number.isFinite(held) && held > 0 ? held + REDIS_TIMEOUT_CHECK_MS : 0;
}

/**
 * Rejects the command's current promise if no answer came. On a promise already rejected it does
 * nothing (a Cluster's handler of a command's failure passes an error it does not know on).
 */
function expire(command: Command): void {
  if (!command.isResolved) command.reject(new Error(COMMAND_TIMED_OUT));
}
