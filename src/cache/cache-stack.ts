import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { CacheContext } from './cache-context.js';
import type { ResolvedCacheOptions } from './cache-options.js';
import { BucketHistogram, LoadDurationHistogram, STALE_AGE_BUCKETS } from './cache-stats.js';
import { cacheTracing } from './cache-tracing.js';
import { BUS_SEGMENT, VIDCACHE_OPTIONS, VIDCACHE_REDIS } from './cache.constants.js';
import { busNotSubscribedYet } from './cache.messages.js';
import { FailSafeThrottle } from './fail-safe.js';
import { EvictionGate } from './eviction-gate.js';
import { Flights } from './flights.js';
import { GuardedL2 } from './guarded-l2.js';
import { InvalidationBus } from './invalidation-bus.js';
import { L2Reader } from './l2-reader.js';
import type { LoadDeps } from './load.js';
import { NamespaceRegistry } from './namespaces.js';
import { ReadThroughHandler } from './read-through.handler.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import { MemoryStore } from './stores/memory.store.js';
import { RedisStore } from './stores/redis.store.js';
import type { L1Tier } from './tiers.js';
import { WritePath } from './write-path.js';

/**
 * How long start-up waits for the invalidation bus's first subscription. A Redis Cluster that is
 * down holds it until the cluster is back; the replica then starts deaf (no L1) rather than hang.
 */
const FIRST_SUBSCRIPTION_WAIT_MS = 2_000;

/**
 * The layers of the cache, built once and wired together:
 *
 * ```
 *   ReadThroughHandler ──► L1Tier (MemoryStore)
 *          │ miss
 *          ▼
 *   Flights ──► Load ──► L2Reader ──► GuardedL2 ──► L2Tier (RedisStore)
 *                 │                       ▲
 *                 ▼ source                │
 *   WritePath ────────────────────────────┘──► InvalidationBus ──► other replicas
 * ```
 *
 * Memory-only (no Redis configured): no L2, no bus; everything else is the same.
 */
@Injectable()
export class CacheStack implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('HybridCache');
  readonly l1: L1Tier;
  readonly l2: GuardedL2 | undefined;
  readonly bus: InvalidationBus | undefined;
  readonly namespaces: NamespaceRegistry;
  readonly flights: Flights;
  readonly histogram = new LoadDurationHistogram();
  readonly staleAges = new BucketHistogram(STALE_AGE_BUCKETS);
  readonly failSafe: FailSafeThrottle;
  readonly reads: ReadThroughHandler;
  readonly writes: WritePath;

  constructor(
    @Inject(VIDCACHE_OPTIONS) readonly options: ResolvedCacheOptions,
    @Inject(VIDCACHE_REDIS) redis: Pick<RedisConnections, 'client' | 'subscriber' | 'writer'> | null,
    context: CacheContext,
  ) {
    const now = options.now;
    cacheTracing.detect();
    this.l1 = new MemoryStore(options);
    this.namespaces = new NamespaceRegistry(options, this.l1);
    this.flights = new Flights(options.maxInFlight);
    this.failSafe = new FailSafeThrottle(options.maxInFlight);
    let writes: WritePath | undefined;
    if (redis) {
      this.bus = new InvalidationBus(
        redis.client,
        redis.subscriber,
        `${options.prefix}:${BUS_SEGMENT}`,
        options.instanceId,
        {
          onEvictions: (set) => writes!.evictedElsewhere(set),
          onResubscribed: () => writes!.dropAllLocal(),
        },
        options.coherence,
      );
      this.l2 = new GuardedL2(
        new RedisStore(redis.client, options, redis.writer),
        redis,
        this.bus,
        this.namespaces,
        options,
      );
    }
    const gate = new EvictionGate(this.namespaces);
    const reader = new L2Reader(this.l1, this.l2, gate, now);
    const deps: LoadDeps = {
      l1: this.l1,
      failSafe: this.failSafe,
      l2: this.l2,
      reader,
      gate,
      histogram: this.histogram,
      staleAges: this.staleAges,
      now,
    };
    this.reads = new ReadThroughHandler(deps, this.flights, context, this.bus);
    this.writes = writes = new WritePath(
      this.l1,
      this.l2,
      this.namespaces,
      gate,
      this.flights,
      options.prefix,
      now,
    );
  }

  async onModuleInit(): Promise<void> {
    if (!this.l2 || !this.bus) return;
    this.l2.start();
    try {
      if (!(await this.bus.start(FIRST_SUBSCRIPTION_WAIT_MS)))
        this.logger.warn(busNotSubscribedYet(FIRST_SUBSCRIPTION_WAIT_MS));
    } catch (error) {
      // keepSubscribed subscribes again: standalone or Sentinel once the connection is back (a
      // 'close', then 'ready'); on a Cluster after a growing delay. Until then the bus is deaf
      // (health, metrics) and this replica runs on L2 + source.
      this.logger.warn(`Invalidation bus not subscribed yet: ${(error as Error).message}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.l2?.stop();
    await this.bus?.close();
  }
}
