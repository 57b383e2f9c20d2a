import type { JsonValue } from '../src/database/index.js';
import type { TestApp } from './fixtures/app.js';
import { ADMIN, cacheStatus, exactly, get, L1, L2, MISS, putConfig } from './fixtures/http.js';
import { send } from './fixtures/inject.js';
import { useReplicaPair } from './fixtures/replicas.js';
import { TRICKY_JSON } from './fixtures/texts.js';

describe.each(['pglite', 'postgres'] as const)('static content on %s', (database) => {
  let a: TestApp;
  let b: TestApp;
  const { evictedFromB } = useReplicaPair(database, (pair) => void ({ a, b } = pair));

  describe('GET and PUT /config/:key', () => {
    it('GET: a miss, an L1 hit, another replica’s L2 hit', async () => {
      const miss = await get(a, '/config/player.qualities');
      const l1 = await get(a, '/config/player.qualities');
      const l2 = await get(b, '/config/player.qualities');

      expect([cacheStatus(miss), cacheStatus(l1), cacheStatus(l2)]).toEqual([MISS, L1, L2]);
      expect(miss.json()).toMatchObject({
        key: 'player.qualities',
        value: ['360p', '480p', '720p', '1080p', '2160p'],
      });
      expect(l2.body).toBe(miss.body);
    });

    it('an unknown key is a 404, cached briefly', async () => {
      const first = await get(a, '/config/no.such.key');
      expect(first.statusCode).toBe(404);
      expect(first.json().message).toBe('configuration key no.such.key not found');
      expect(cacheStatus(await get(a, '/config/no.such.key'))).toBe(L1);
    });

    it('PUT creates (201) then replaces (200), and evicts the entry on every replica', async () => {
      expect((await get(a, '/config/feature.flag')).statusCode).toBe(404);
      expect((await get(b, '/config/feature.flag')).statusCode).toBe(404);

      const created = await putConfig(a, 'feature.flag', true);

      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ key: 'feature.flag', value: true });
      const fromA = await get(a, '/config/feature.flag');
      expect([fromA.statusCode, cacheStatus(fromA)]).toEqual([200, MISS]);
      await evictedFromB('static', ['config', 'feature.flag']);
      const fromB = await get(b, '/config/feature.flag');
      expect([fromB.statusCode, cacheStatus(fromB), fromB.json().value]).toEqual([200, L2, true]);

      const replaced = await putConfig(a, 'feature.flag', { rollout: 0.5 });

      expect(replaced.statusCode).toBe(200);
      expect((await get(a, '/config/feature.flag')).json().value).toEqual({ rollout: 0.5 });
      await evictedFromB('static', ['config', 'feature.flag']);
      expect((await get(b, '/config/feature.flag')).json().value).toEqual({ rollout: 0.5 });
    });

    it('PUT on a seeded key, read on the other replica first (shared database) or through L2', async () => {
      await get(b, '/config/upload.maxSizeMb');
      const res = await putConfig(a, 'upload.maxSizeMb', 8192);
      expect(res.statusCode).toBe(200);
      await evictedFromB('static', ['config', 'upload.maxSizeMb']);
      if (database === 'postgres') {
        const fromB = await get(b, '/config/upload.maxSizeMb');
        expect([cacheStatus(fromB), fromB.json().value]).toEqual([MISS, 8192]);
      } else {
        await get(a, '/config/upload.maxSizeMb');
        const fromB = await get(b, '/config/upload.maxSizeMb');
        expect([cacheStatus(fromB), fromB.json().value]).toEqual([L2, 8192]);
      }
    });

    it('PUT is for operators only: 401 without or with a wrong token, and nothing changes', async () => {
      await get(a, '/config/site.name');
      const anonymous = await send(a, 'PUT', '/config/site.name', { value: 'hacked' });
      const wrong = await send(
        a,
        'PUT',
        '/config/site.name',
        { value: 'hacked' },
        { authorization: 'Bearer nope' },
      );

      expect(anonymous.statusCode).toBe(401);
      expect(wrong.statusCode).toBe(401);
      const read = await get(a, '/config/site.name');
      expect([cacheStatus(read), read.json().value]).toEqual([L1, 'vidcache']);
    });

    describe('values round-trip exactly from every tier', () => {
      const accepted = TRICKY_JSON.filter((value) => !exactly(value).includes('__proto__'));

      it.each(accepted.map((value, i) => [exactly(value).slice(0, 40), i, value] as const))(
        '%s',
        async (_label, i, value: JsonValue) => {
          const key = `tricky.${i}`;
          const put = await putConfig(a, key, value);
          expect(exactly(put.json().value)).toBe(exactly(value));

          const miss = await get(a, `/config/${key}`);
          const l1 = await get(a, `/config/${key}`);
          const l2 = await get(b, `/config/${key}`);

          expect([cacheStatus(miss), cacheStatus(l1), cacheStatus(l2)]).toEqual([MISS, L1, L2]);
          for (const res of [miss, l1, l2]) expect(exactly(res.json().value)).toBe(exactly(value));
        },
      );

      it('a document with __proto__ or constructor keys is refused (400), never stored changed', async () => {
        const proto = await send(
          a,
          'PUT',
          '/config/tricky.proto',
          '{"value":{"__proto__":"own key","constructor":"also own"}}',
          ADMIN,
        );
        const ctor = await send(
          a,
          'PUT',
          '/config/tricky.proto',
          '{"value":{"constructor":"also own"}}',
          ADMIN,
        );

        expect(proto.statusCode).toBe(400);
        expect(ctor.statusCode).toBe(400);
        expect(ctor.json().message).toContain('value must not contain keys named');
        expect((await get(a, '/config/tricky.proto')).statusCode).toBe(404);
      });
    });
  });
});
