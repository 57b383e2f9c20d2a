import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import {
  CacheableRegistry,
  CacheContext,
  HybridCacheService,
  type CacheableCall,
  type CacheAccessObserver,
} from '../cache/index.js';

/** Where one argument of a predicted call comes from: an argument of the call that predicts it, or a constant. */
type ArgumentSource = { readonly from: number } | { readonly value: string | number | boolean };

/** "After a cold read of `from`, `to` was read cold with arguments built by `mapping`." */
interface Transition {
  readonly from: string;
  readonly to: string;
  readonly mapping: readonly ArgumentSource[];
  count: number;
}

interface Access {
  readonly label: string;
  readonly args: readonly unknown[];
  readonly at: number;
}

export interface PredictiveWarmingOptions {
  /** Accesses remembered to learn from (a ring). */
  readonly historySize: number;
  /** A successor must follow within this many ms to count as read together. */
  readonly windowMs: number;
  /** Distinct transitions remembered (least recently confirmed dropped first). */
  readonly maxTransitions: number;
  /** Times a transition must have been seen before it predicts. */
  readonly minSupport: number;
  /** Share of the predecessor's reads that the successor must have followed. */
  readonly minConfidence: number;
  /** Budget: preloads started per second, and at once. */
  readonly maxPerSecond: number;
  readonly maxConcurrent: number;
}

/** Injection token of partial {@link PredictiveWarmingOptions} (optional). */
export const PREDICTIVE_WARMING_OPTIONS = Symbol('PREDICTIVE_WARMING_OPTIONS');

export const DEFAULT_PREDICTIVE_OPTIONS: PredictiveWarmingOptions = {
  historySize: 512,
  windowMs: 5_000,
  maxTransitions: 2_000,
  minSupport: 3,
  minConfidence: 0.2,
  maxPerSecond: 50,
  maxConcurrent: 4,
};

export interface PredictiveWarmingStats {
  enabled: boolean;
  transitions: number;
  predictions: number;
  preloads: number;
  preloadErrors: number;
  skippedWarm: number;
  skippedBudget: number;
}

const PRIMITIVE = new Set(['string', 'number', 'boolean']);
const isPrimitive = (value: unknown): value is string | number | boolean => PRIMITIVE.has(typeof value);

/**
 * Predictive warming: learns which cached reads follow one another (a profile, then that user's
 * videos; a video, then its status) and, when a read is cold, pre-loads its likely successors in
 * the background so that they are warm when asked for.
 *
 * How it learns: every read through a `@Cacheable` method is remembered in a bounded ring. When a
 * read is cold (a miss), the reads shortly before it are searched for one that shares an argument
 * value with it; each such pair is a transition from one method to the other, with the mapping
 * from the first call's arguments to the second's. A transition seen often enough, and following
 * enough of its predecessor's reads, predicts.
 *
 * What it costs: on the hot path, a ring write and one map lookup; the rest runs after the current
 * I/O (setImmediate), within a budget (per second, and at once), outside the request's context.
 */
@Injectable()
export class PredictiveWarmer implements CacheAccessObserver, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('PredictiveWarming');
  private readonly options: PredictiveWarmingOptions;
  private readonly history: (Access | undefined)[];
  private next = 0;
  private readonly transitions: LRUCache<string, Transition>;
  /** Transition keys by predecessor label. */
  private readonly successors = new Map<string, Set<string>>();
  private readonly reads = new Map<string, number>();
  /** Keys preloaded and not yet read, with the transition that predicted them (bounded). */
  private readonly pending: LRUCache<string, string>;
  private readonly queue: CacheableCall[] = [];
  private scheduled = false;
  private inFlight = new Set<string>();
  private tokens: number;
  private refilledAt = Date.now();
  /** True while a preload's own call is being made, so that it is neither learnt from nor predicted on. */
  private preloading = false;
  enabled = true;
  private readonly counters = {
    predictions: 0,
    preloads: 0,
    preloadErrors: 0,
    skippedWarm: 0,
    skippedBudget: 0,
  };

  constructor(
    private readonly registry: CacheableRegistry,
    private readonly cache: HybridCacheService,
    private readonly context: CacheContext,
    @Optional()
    @Inject(PREDICTIVE_WARMING_OPTIONS)
    options?: Partial<PredictiveWarmingOptions> & { enabled?: boolean },
  ) {
    this.options = { ...DEFAULT_PREDICTIVE_OPTIONS, ...options };
    this.enabled = options?.enabled ?? true;
    this.history = Array.from({ length: this.options.historySize }, () => undefined);
    this.tokens = this.options.maxPerSecond;
    this.pending = new LRUCache<string, string>({ max: this.options.historySize });
    this.transitions = new LRUCache<string, Transition>({
      max: this.options.maxTransitions,
      dispose: (transition, key) => this.successors.get(transition.from)?.delete(key),
    });
  }

  onModuleInit(): void {
    if (this.enabled) this.registry.observer = this;
  }

  onModuleDestroy(): void {
    if (this.registry.observer === this) this.registry.observer = undefined;
  }

  observe(call: CacheableCall): void {
    if (this.preloading) return;
    const now = Date.now();
    this.reads.set(call.label, (this.reads.get(call.label) ?? 0) + 1);
    // A read of a key a transition predicted confirms it: a warm read learns nothing otherwise, so
    // without this a transition that works would look weaker and weaker and stop predicting.
    const confirmed = this.pending.size > 0 ? this.pending.get(call.key) : undefined;
    if (confirmed !== undefined) {
      this.pending.delete(call.key);
      const transition = this.transitions.get(confirmed);
      if (transition) transition.count++;
    } else if (!call.l1Hit) this.learn(call, now);
    if (this.successors.has(call.label) && this.queue.length < this.options.historySize) {
      this.queue.push(call);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.drain());
      }
    }
    this.history[this.next] = { label: call.label, args: call.args, at: now };
    this.next = (this.next + 1) % this.history.length;
  }

  stats(): PredictiveWarmingStats {
    return { enabled: this.enabled, transitions: this.transitions.size, ...this.counters };
  }

  /** A cold read: which recent reads share an argument with it? Each is evidence of a transition. */
  private learn(call: CacheableCall, now: number): void {
    const seenLabels = new Set<string>();
    for (let i = 1; i <= this.history.length; i++) {
      const access = this.history[(this.next - i + this.history.length) % this.history.length];
      if (!access || now - access.at > this.options.windowMs) break;
      if (access.label === call.label || seenLabels.has(access.label)) continue;
      const mapping = mappingBetween(access.args, call.args);
      if (!mapping) continue;
      seenLabels.add(access.label);
      const key = `${access.label}\u0000${call.label}\u0000${JSON.stringify(mapping)}`;
      const known = this.transitions.get(key);
      if (known) known.count++;
      else {
        this.transitions.set(key, { from: access.label, to: call.label, mapping, count: 1 });
        let keys = this.successors.get(access.label);
        if (!keys) this.successors.set(access.label, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  private drain(): void {
    this.scheduled = false;
    for (const call of this.queue.splice(0)) this.predictFrom(call);
  }

  private predictFrom(call: CacheableCall): void {
    const reads = this.reads.get(call.label) ?? 1;
    for (const key of this.successors.get(call.label) ?? []) {
      const transition = this.transitions.peek(key);
      if (!transition || transition.count < this.options.minSupport) continue;
      if (transition.count / reads < this.options.minConfidence) continue;
      const method = this.registry.get(transition.to);
      if (!method) continue;
      const args = transition.mapping.map((source) =>
        'from' in source ? call.args[source.from] : source.value,
      );
      const target = method.keyOf(args);
      this.counters.predictions++;
      if (this.inFlight.has(target) || this.cache.isFresh(method.namespace.name, target)) {
        this.counters.skippedWarm++;
        continue;
      }
      if (!this.takeToken()) {
        this.counters.skippedBudget++;
        continue;
      }
      this.pending.set(target, key);
      this.preload(target, () => method.invoke(args));
    }
  }

  private preload(key: string, invoke: () => Promise<unknown>): void {
    this.inFlight.add(key);
    this.counters.preloads++;
    // Outside any request: a preload shows up in no Cache-Status, and counts as a prefetch.
    this.context
      .runInBackground(() => {
        this.preloading = true;
        try {
          return invoke();
        } finally {
          this.preloading = false;
        }
      })
      .catch((error: unknown) => {
        this.counters.preloadErrors++;
        this.logger.debug(`preload of ${key} failed: ${(error as Error).message}`);
      })
      .finally(() => this.inFlight.delete(key));
  }

  private takeToken(): boolean {
    if (this.inFlight.size >= this.options.maxConcurrent) return false;
    const now = Date.now();
    const { maxPerSecond } = this.options;
    this.tokens = Math.min(maxPerSecond, this.tokens + ((now - this.refilledAt) / 1000) * maxPerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

/**
 * How `to`'s arguments follow from `from`'s: each primitive argument of `to` is one of `from`'s
 * (by position) or a constant. At least one must come from `from`, else the two reads merely
 * happened close together. Object arguments are not predicted.
 */
export function mappingBetween(
  from: readonly unknown[],
  to: readonly unknown[],
): ArgumentSource[] | undefined {
  let linked = false;
  const mapping: ArgumentSource[] = [];
  for (const value of to) {
    if (!isPrimitive(value)) return undefined;
    // Only strings (ids) link two reads: numbers such as page 1 are shared by unrelated reads.
    const index = typeof value === 'string' ? from.indexOf(value) : -1;
    if (index >= 0) {
      linked = true;
      mapping.push({ from: index });
    } else mapping.push({ value });
  }
  return linked ? mapping : undefined;
}
