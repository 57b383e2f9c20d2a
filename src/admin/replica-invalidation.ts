import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { VIDCACHE_OPTIONS, VIDCACHE_REDIS, type RedisConnections } from '../cache/index.js';
import { REPLICA_CONFIRM_TIMEOUT_MS } from './admin.constants.js';
import type { InvalidateCacheDto } from './dto/invalidate-cache.dto.js';
import { delay } from '../common/with-timeout.js';
import { keepSubscribed, messageEventOf, publishOn, subscriberOf } from '../redis/subscription.js';

type Client = RedisConnections['client'];

interface RequestMessage {
  id: string;
  from: string;
  request: InvalidateCacheDto;
}

interface AckMessage {
  id: string;
  ok: boolean;
}

/** What {@link ReplicaInvalidation.broadcast} learnt. */
export interface ReplicaConfirmation {
  /** Replicas that heard the request (this one excluded). */
  replicas: number;
  /** Replicas that applied it in time. */
  confirmed: number;
}

/**
 * Makes an admin invalidation a synchronous act across replicas. The cache's own bus is
 * fire-and-forget (a replica drops the keys when the message reaches it), which is right for the
 * writes of the API but not for an operator who is told "done": here every replica applies the
 * request itself and answers, and the initiator waits for every answer.
 *
 * 1. The initiator applies the request (its L1, Redis, the bus), then publishes it on
 *    `<prefix>:admin:{admin}:invalidate`; PUBLISH answers how many replicas are listening.
 * 2. Each other replica applies it through the same cache API (dropping its own L1 at once) and
 *    acknowledges on the initiator's `<prefix>:admin:{admin}:ack:<instance>` channel.
 * 3. The initiator resolves once all have answered, or after {@link REPLICA_CONFIRM_TIMEOUT_MS}
 *    with the count that did, so the caller can refuse to report success.
 *
 * On a Cluster the channels are sharded (`subscription.ts`), and share the hash tag `{admin}`, so
 * one subscription holds both, and SPUBLISH's count is every listener (PUBLISH on a Cluster counts
 * only the listeners on the node that received it).
 *
 * Without Redis there is no other replica to tell (memory-only mode is one process).
 */
@Injectable()
export class ReplicaInvalidation implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AdminInvalidation');
  private subscriber: Client | undefined;
  private readonly waiting = new Map<string, (ack: AckMessage) => void>();
  private apply: ((request: InvalidateCacheDto) => Promise<unknown>) | undefined;

  constructor(
    @Inject(VIDCACHE_OPTIONS) private readonly options: { prefix: string; instanceId: string },
    @Optional() @Inject(VIDCACHE_REDIS) private readonly redis: RedisConnections | null = null,
  ) {}

  private get requestChannel() {
    return `${this.options.prefix}:admin:{admin}:invalidate`;
  }
  private ackChannel(instanceId: string) {
    return `${this.options.prefix}:admin:{admin}:ack:${instanceId}`;
  }

  /** Sets how this replica applies a request another replica broadcast. */
  onRequest(apply: (request: InvalidateCacheDto) => Promise<unknown>): void {
    this.apply = apply;
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis) return;
    // A subscription must wait for Redis rather than fail at once (the command connection does not
    // queue offline); start-up does not wait for it, so a Redis outage never blocks the boot.
    const subscriber = subscriberOf(this.redis.client);
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // reconnection is automatic; a broadcast meanwhile times out
    subscriber.on(
      messageEventOf(subscriber),
      (channel: string, text: string) => void this.receive(channel, text),
    );
    const cannotListen = (error: Error) =>
      this.logger.warn(`cannot listen for admin invalidations: ${error.message}`);
    const channels = [this.requestChannel, this.ackChannel(this.options.instanceId)];
    await Promise.race([
      // A request missed while away is not retried: its initiator counts this replica as unconfirmed.
      keepSubscribed(subscriber, channels, {
        resubscribed: () => undefined,
        rerouted: () => undefined,
        failed: cannotListen,
      }).catch(cannotListen),
      delay(REPLICA_CONFIRM_TIMEOUT_MS),
    ]);
  }

  onModuleDestroy(): void {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    // Nothing to flush on a subscription: drop it at once (QUIT could wait on a Redis that is down).
    subscriber?.disconnect();
  }

  /** Tells every other replica to apply the request and waits (bounded) for their answers. */
  async broadcast(request: InvalidateCacheDto): Promise<ReplicaConfirmation> {
    if (!this.redis) return { replicas: 0, confirmed: 0 };
    const id = randomUUID();
    let confirmed = 0;
    let expected = Number.POSITIVE_INFINITY;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    this.waiting.set(id, (ack) => {
      if (ack.ok) confirmed++;
      if (confirmed >= expected) done();
    });
    try {
      const message: RequestMessage = { id, from: this.options.instanceId, request };
      // This replica's own subscriber is among the listeners; it ignores its own requests.
      const listeners = await publishOn(this.redis.client, this.requestChannel, JSON.stringify(message));
      expected = Math.max(0, listeners - 1);
      if (confirmed >= expected) done();
      const timer = setTimeout(done, REPLICA_CONFIRM_TIMEOUT_MS);
      await finished;
      clearTimeout(timer);
      return { replicas: expected, confirmed: Math.min(confirmed, expected) };
    } finally {
      this.waiting.delete(id);
    }
  }

  private async receive(channel: string, text: string): Promise<void> {
    try {
      if (channel === this.requestChannel) {
        const message = JSON.parse(text) as RequestMessage;
        if (message.from === this.options.instanceId) return;
        let ok = true;
        try {
          await this.apply?.(message.request);
        } catch (error) {
          ok = false;
          this.logger.warn(`admin invalidation ${message.id} failed here: ${(error as Error).message}`);
        }
        const ack: AckMessage = { id: message.id, ok };
        if (this.redis)
          await publishOn(this.redis.client, this.ackChannel(message.from), JSON.stringify(ack));
      } else {
        const ack = JSON.parse(text) as AckMessage;
        this.waiting.get(ack.id)?.(ack);
      }
    } catch (error) {
      this.logger.warn(`unreadable admin invalidation message: ${(error as Error).message}`);
    }
  }
}
