import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export class UserQuery {
  @ApiPropertyOptional({
    enum: ['private'],
    description: 'Adds email and settings. Served from the database, never from the cache.',
  })
  @IsOptional()
  @IsIn(['private'])
  include?: 'private';
}
