import { rawClient, uniquePrefix, deletePrefix } from '../../../test/fixtures/redis.js';
import { valueStateRace } from '../../../test/fixtures/value-state-race.js';

describe('RedisStore: a load that saw a stale value does not store over a value written since', () => {
  it('on a single server', async () => {
    const client = rawClient();
    const prefix = uniquePrefix('value-state');
    try {
      await expect(valueStateRace(client, prefix)).resolves.toEqual({
        storedWhenUnchanged: true,
        storedOverWrite: false,
        leftIsTheWrite: true,
      });
    } finally {
      await deletePrefix(client, prefix);
      await client.quit();
    }
  });
});
