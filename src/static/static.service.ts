import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CacheConfig, CacheEvict, Cacheable } from '../cache/index.js';
import { DomainEvent, type ConfigChangedEvent } from '../common/events/domain-events.js';
import type { JsonValue } from '../database/index.js';
import { STATIC_NAMESPACE, configKey, templateKey } from './static.constants.js';
import { StaticRepository, type ConfigEntry, type Template } from './static.repository.js';

/** Templates and configuration: small, rarely changing, read often (`static` namespace). */
@CacheConfig({ namespace: STATIC_NAMESPACE })
@Injectable()
export class StaticService {
  constructor(
    private readonly repository: StaticRepository,
    private readonly events: EventEmitter2,
  ) {}

  @Cacheable({ key: (id: string) => templateKey(id) })
  template(id: string): Promise<Template | null> {
    return this.repository.getTemplate(id);
  }

  @Cacheable({ key: (key: string) => configKey(key) })
  config(key: string): Promise<ConfigEntry | null> {
    return this.repository.getConfig(key);
  }

  /**
   * Creates or replaces an entry, then announces it:
   * 1. commit and evict the entry on every replica (`commitConfig`);
   * 2. emit `config.changed` and wait for its listeners, so that what a feature cached from the old
   *    value is evicted before the caller answers (and cannot be reloaded from the old entry).
   */
  async setConfig(key: string, value: JsonValue): Promise<{ entry: ConfigEntry; created: boolean }> {
    const result = await this.commitConfig(key, value);
    await this.events.emitAsync(DomainEvent.configChanged, { key } satisfies ConfigChangedEvent);
    return result;
  }

  /** The write and its eviction (the explorer wraps this method on the instance, so `this.` calls it wrapped). */
  @CacheEvict({ key: (key: string) => configKey(key) })
  commitConfig(key: string, value: JsonValue): Promise<{ entry: ConfigEntry; created: boolean }> {
    return this.repository.setConfig(key, value);
  }
}
