import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { WARMUP_TASK_METADATA } from './warmup.constants.js';
import { requestScopedTask } from './warmup.messages.js';
import { WarmupRegistry } from './warmup.registry.js';
import type { WarmupTaskOptions } from './warmup-task.decorator.js';
import type { WarmupItems } from './warmup.types.js';

type TaskMethod = (this: unknown) => WarmupItems;

/** Finds `@WarmupTask` methods on every provider at start-up and registers them. */
@Injectable()
export class WarmupExplorer implements OnModuleInit {
  private readonly logger = new Logger(WarmupExplorer.name);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: WarmupRegistry,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const classRef = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!classRef || typeof classRef !== 'function' || !classRef.prototype) continue;
      const prototype = classRef.prototype as Record<string, unknown>;
      const tasks = this.scanner.getAllMethodNames(prototype).flatMap((method) => {
        const options = Reflect.getMetadata(WARMUP_TASK_METADATA, prototype[method] as object) as
          WarmupTaskOptions | undefined;
        return options ? [{ method, options }] : [];
      });
      if (tasks.length === 0) continue;
      if (!wrapper.isDependencyTreeStatic()) {
        for (const { method } of tasks) this.logger.warn(requestScopedTask(classRef.name, method));
        continue;
      }
      const instance = wrapper.instance as Record<string, TaskMethod>;
      for (const { method, options } of tasks) {
        // Looked up on each run, so a wrapper another explorer installs on the instance is honoured.
        this.registry.register(options.name, () => instance[method]!.call(instance));
      }
    }
  }
}
