import { Inject, Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import {
  byteOrder,
  configEntries,
  DRIZZLE,
  templates,
  type Database,
  type JsonValue,
} from '../database/index.js';

export interface Template {
  id: string;
  name: string;
  body: string;
  version: number;
  updatedAt: Date;
}

export interface ConfigEntry {
  key: string;
  /** Any JSON, exactly as stored (object keys keep their order). */
  value: JsonValue;
  updatedAt: Date;
}

const templateColumns = {
  id: templates.id,
  name: templates.name,
  body: templates.body,
  version: templates.version,
  updatedAt: templates.updatedAt,
};

const configColumns = {
  key: configEntries.key,
  value: configEntries.value,
  updatedAt: configEntries.updatedAt,
};

/** Templates and configuration entries: small, rarely changing, read often. */
@Injectable()
export class StaticRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  async getTemplate(id: string): Promise<Template | null> {
    const [template] = await this.db.select(templateColumns).from(templates).where(eq(templates.id, id));
    return template ?? null;
  }

  /** Every template, by id (byte order). */
  async listTemplates(): Promise<Template[]> {
    return this.db.select(templateColumns).from(templates).orderBy(byteOrder(templates.id));
  }

  async getConfig(key: string): Promise<ConfigEntry | null> {
    const [entry] = await this.db.select(configColumns).from(configEntries).where(eq(configEntries.key, key));
    return entry ?? null;
  }

  /** Creates or replaces the entry; `created` tells which (for 201 versus 200). */
  async setConfig(key: string, value: JsonValue): Promise<{ entry: ConfigEntry; created: boolean }> {
    // `xmax = 0` holds only for a row this statement inserted, not for one it updated.
    const [row] = await this.db
      .insert(configEntries)
      .values({ key, value })
      .onConflictDoUpdate({ target: configEntries.key, set: { value, updatedAt: sql`now()` } })
      .returning({ ...configColumns, created: sql<boolean>`xmax = 0` });
    const { created, ...entry } = row;
    return { entry, created };
  }

  /** Every entry, by key (byte order). */
  async listConfig(): Promise<ConfigEntry[]> {
    return this.db.select(configColumns).from(configEntries).orderBy(byteOrder(configEntries.key));
  }
}
