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

/** The answer to `POST /users`: the whole profile and the user's secret token, shown only this once. */
export class CreatedUserResponse extends PrivateUserResponse {
  @ApiProperty({
    description:
      'Secret token of the user, answered only here (only its hash is stored). `POST /sessions` requires it as `Authorization: Bearer <token>`.',
    example: 'utk_q5Xw0cJ9l2m5b8iN3yZ0aT4sR7eV1uK6hG2dF9pL0oE',
  })
  token!: string;
}
