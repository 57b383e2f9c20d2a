import { Injectable } from '@nestjs/common';
import { CacheConfig, CacheEvict, Cacheable } from '../cache/index.js';
import type { JsonValue } from '../database/index.js';
import { STATIC_NAMESPACE, configKey, templateKey } from './static.constants.js';
import { StaticRepository, type ConfigEntry, type Template } from './static.repository.js';

/** Templates and configuration: small, rarely changing, read often (`static` namespace). */
@CacheConfig({ namespace: STATIC_NAMESPACE })
@Injectable()
export class StaticService {
  constructor(private readonly repository: StaticRepository) {}

  @Cacheable({ key: (id: string) => templateKey(id) })
  template(id: string): Promise<Template | null> {
    return this.repository.getTemplate(id);
  }

  @Cacheable({ key: (key: string) => configKey(key) })
  config(key: string): Promise<ConfigEntry | null> {
    return this.repository.getConfig(key);
  }

  /** Creates or replaces an entry, then evicts it on every replica. */
  @CacheEvict({ key: (key: string) => configKey(key) })
  setConfig(key: string, value: JsonValue): Promise<{ entry: ConfigEntry; created: boolean }> {
    return this.repository.setConfig(key, value);
  }
}
