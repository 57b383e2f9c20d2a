import { ApiProperty } from '@nestjs/swagger';
import { ANY_JSON_SCHEMA } from '../../common/validation/any-json.schema.js';
import type { JsonValue } from '../../database/index.js';

export class SessionResponse {
  @ApiProperty({ example: 'ses_3b241101-e2bb-4255-8caf-4136c566a962' })
  id!: string;

  @ApiProperty({ example: 'usr_000001' })
  userId!: string;

  @ApiProperty({ ...ANY_JSON_SCHEMA, description: 'Any JSON value, exactly as sent', example: { cart: [] } })
  data!: JsonValue;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  expiresAt!: Date;
}
