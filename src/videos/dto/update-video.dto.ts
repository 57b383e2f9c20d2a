import { OmitType, PartialType } from '@nestjs/swagger';
import { CreateVideoDto } from './create-video.dto.js';

/**
 * `PATCH /videos/:id`: any of the metadata fields of {@link CreateVideoDto} (the owner cannot
 * change); absent fields are left as they are. `null` clears `durationSec` and `format` (optional
 * there already), and is rejected for the text fields that cannot be empty
 * (`skipNullProperties: false` validates a `null` rather than skipping it).
 */
export class UpdateVideoDto extends PartialType(OmitType(CreateVideoDto, ['userId'] as const), {
  skipNullProperties: false,
}) {}
