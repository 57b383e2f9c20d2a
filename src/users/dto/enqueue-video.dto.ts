import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { entityIdPattern, IsEntityId } from '../../common/validation/index.js';

export class EnqueueVideoDto {
  @ApiProperty({ pattern: entityIdPattern('vid').source, example: 'vid_000042' })
  @IsString()
  @IsEntityId('vid')
  videoId!: string;
}
