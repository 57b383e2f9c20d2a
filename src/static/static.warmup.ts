import { Injectable } from '@nestjs/common';
import { WarmupTask } from '../warmup/warmup-task.decorator.js';
import type { WarmupItem } from '../warmup/warmup.types.js';
import { StaticRepository } from './static.repository.js';
import { StaticService } from './static.service.js';

/** Warm-up: every template and configuration entry (few, small, and read by every client). */
@Injectable()
export class StaticWarmup {
  constructor(
    private readonly repository: StaticRepository,
    private readonly statics: StaticService,
  ) {}

  @WarmupTask({ name: 'static-content' })
  async content(): Promise<WarmupItem[]> {
    const [templates, entries] = await Promise.all([
      this.repository.listTemplates(),
      this.repository.listConfig(),
    ]);
    return [
      ...templates.map(({ id }) => ({ name: `template:${id}`, warm: () => this.statics.template(id) })),
      ...entries.map(({ key }) => ({ name: `config:${key}`, warm: () => this.statics.config(key) })),
    ];
  }
}
