import { ApiProperty } from '@nestjs/swagger';
import type { JsonValue } from '../../database/index.js';
import { ANY_JSON_SCHEMA } from '../../common/validation/any-json.schema.js';

export class TemplateResponse {
  @ApiProperty({ example: 'tpl_000001' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  body!: string;

  @ApiProperty({ example: 1 })
  version!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;
}

export class ConfigEntryResponse {
  @ApiProperty({ example: 'upload.maxSizeMb' })
  key!: string;

  @ApiProperty({ ...ANY_JSON_SCHEMA, description: 'Any JSON value, exactly as stored' })
  value!: JsonValue;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;
}

class CacheStatusResponse {
  @ApiProperty({ enum: ['up', 'down', 'disabled'] })
  l2!: string;
}

export class SystemStatusResponse {
  @ApiProperty({ example: 'vidcache' })
  service!: string;

  @ApiProperty({ example: '0.1.0' })
  version!: string;

  @ApiProperty({ description: 'Which replica answered (random per process)' })
  replica!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  startedAt!: Date;

  @ApiProperty({ enum: ['under 1m', '1m-10m', '10m-1h', '1h-1d', '1d or more'] })
  uptime!: string;

  @ApiProperty({ enum: ['pglite', 'postgres'] })
  database!: string;

  @ApiProperty({ type: CacheStatusResponse })
  cache!: CacheStatusResponse;
}
