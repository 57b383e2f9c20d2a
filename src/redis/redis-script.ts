import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

type RedisClient = Redis | Cluster;
type Argument = string | number | Buffer;

/**
 * A Lua script run atomically by Redis: `EVALSHA` (the script is sent once per server), falling
 * back to `EVAL` when the server does not know it yet (first call, restart, `SCRIPT FLUSH`).
 *
 * @example
 * const release = new RedisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`);
 * await release.run(client, [lockKey], [token]);
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly Argument[] = []): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
