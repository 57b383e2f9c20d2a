import { APP_CACHE_NAMESPACES } from '../app.cache-namespaces.js';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { deletePrefix, rawClient, TEST_REDIS_URL, uniquePrefix } from '../../test/fixtures/redis.js';
import { Cacheable, CacheableRegistry, CacheModule, HybridCacheService } from '../cache/index.js';
import { mappingBetween, PREDICTIVE_WARMING_OPTIONS, PredictiveWarmer } from './predictive-warmer.js';

const USERS = 400;
const SESSIONS = 800;

/** Stands in for the database: each read takes a moment and is counted. */
@Injectable()
class Source {
  reads = 0;
  async read<T>(value: T): Promise<T> {
    this.reads++;
    await new Promise((resolve) => setTimeout(resolve, 1));
    return value;
  }
}

@Injectable()
class ProfileService {
  constructor(private readonly source: Source) {}
  @Cacheable({ namespace: 'user', key: (id: string) => ['profile', id] })
  profile(id: string): Promise<{ id: string }> {
    return this.source.read({ id });
  }
}

@Injectable()
class VideoListService {
  constructor(private readonly source: Source) {}
  @Cacheable({
    namespace: 'video',
    key: (userId: string, page: number, perPage: number) => ['user-videos', userId, page, perPage],
  })
  list(userId: string, page: number, perPage: number): Promise<string[]> {
    return this.source.read([`${userId}/${page}/${perPage}`]);
  }
}

/** A deterministic Zipf-like sampler (s ≈ 1) over [0, n). */
function zipf(n: number, seed: number): () => number {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    let target = (state / 2 ** 31) * total;
    for (let i = 0; i < n; i++) if ((target -= weights[i]!) <= 0) return i;
    return n - 1;
  };
}

async function replay(
  predictive: boolean,
): Promise<{ hitRate: number; sourceReads: number; preloads: number }> {
  const prefix = uniquePrefix('predictive');
  const moduleRef = await Test.createTestingModule({
    imports: [
      CacheModule.forRoot({
        prefix,
        namespaces: APP_CACHE_NAMESPACES,
        redisUrl: TEST_REDIS_URL,
        // Short TTLs make cold reads common, as they are for a long tail of users.
        policies: {
          user: { l1TtlMs: 400, l2TtlMs: 400, jitter: 0 },
          video: { l1TtlMs: 400, l2TtlMs: 400, jitter: 0 },
        },
      }),
    ],
    providers: [
      Source,
      ProfileService,
      VideoListService,
      PredictiveWarmer,
      { provide: PREDICTIVE_WARMING_OPTIONS, useValue: { enabled: predictive, maxPerSecond: 10_000 } },
    ],
  }).compile();
  const app: INestApplicationContext = await moduleRef.init();
  try {
    const profiles = app.get(ProfileService);
    const lists = app.get(VideoListService);
    const next = zipf(USERS, 42);
    for (let i = 0; i < SESSIONS; i++) {
      const user = `usr_${next()}`;
      await profiles.profile(user);
      await new Promise((resolve) => setTimeout(resolve, 2)); // the client renders, then asks for the list
      await lists.list(user, 1, 20);
    }
    const stats = app.get(HybridCacheService).stats().namespaces.video!;
    return {
      hitRate: stats.hitRate,
      sourceReads: app.get(Source).reads,
      preloads: app.get(PredictiveWarmer).stats().preloads,
    };
  } finally {
    await app.close();
    const redis = rawClient();
    await deletePrefix(redis, prefix);
    await redis.quit();
  }
}

describe('PredictiveWarmer', () => {
  it('maps a successor’s arguments from its predecessor’s, linking by shared ids only', () => {
    expect(mappingBetween(['usr_1'], ['usr_1', 1, 20])).toEqual([{ from: 0 }, { value: 1 }, { value: 20 }]);
    expect(mappingBetween(['vid_9', 'x'], ['vid_9'])).toEqual([{ from: 0 }]);
    expect(mappingBetween(['usr_1'], ['usr_2', 1])).toBeUndefined(); // nothing shared: coincidence
    expect(mappingBetween([1], [1])).toBeUndefined(); // numbers do not link
    expect(mappingBetween(['usr_1'], [{ id: 'usr_1' }])).toBeUndefined();
  });

  it('learns that a user’s video list follows their profile, and raises the list’s hit rate on a correlated replay', async () => {
    const without = await replay(false);
    const withPrediction = await replay(true);

    console.log(
      `predictive warming, ${SESSIONS} sessions (profile then video list) over ${USERS} users (Zipf): ` +
        `video-list hit rate ${(without.hitRate * 100).toFixed(1)}% without, ` +
        `${(withPrediction.hitRate * 100).toFixed(1)}% with (${withPrediction.preloads} preloads); ` +
        `source reads ${without.sourceReads} vs ${withPrediction.sourceReads}`,
    );
    expect(without.preloads).toBe(0);
    expect(withPrediction.preloads).toBeGreaterThan(0);
    expect(withPrediction.hitRate).toBeGreaterThan(without.hitRate + 0.1);
  }, 60_000);

  it('does not observe when disabled, and leaves the registry alone', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({})],
      providers: [PredictiveWarmer, { provide: PREDICTIVE_WARMING_OPTIONS, useValue: { enabled: false } }],
    }).compile();
    const app = await moduleRef.init();
    expect(app.get(CacheableRegistry).observer).toBeUndefined();
    await app.close();
  });
});
