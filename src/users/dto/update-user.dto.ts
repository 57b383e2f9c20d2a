import { PartialType } from '@nestjs/swagger';
import { CreateUserDto } from './create-user.dto.js';

/**
 * Any of the fields of {@link CreateUserDto}; `settings` replaces the stored object. A field may be
 * left out but not sent as `null` (`skipNullProperties: false`): the columns are NOT NULL.
 */
export class UpdateUserDto extends PartialType(CreateUserDto, { skipNullProperties: false }) {}
