import { ApiProperty } from '@nestjs/swagger';
import type { JsonObject } from '../../database/index.js';

/** What anyone may see of a user: the cached profile. */
export class UserResponse {
  @ApiProperty({ example: 'usr_000001' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;
}

/** The whole profile: answered to `POST`, `PATCH` and `GET ?include=private`, never cached. */
export class PrivateUserResponse extends UserResponse {
  @ApiProperty({ format: 'email' })
  email!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  settings!: JsonObject;
}
