import { ApiProperty } from '@nestjs/swagger';
import type { InvalidationResult, InvalidationSummary } from '../cache-invalidation.service.js';
import type { ReplicaConfirmation } from '../replica-invalidation.js';

/** What one admin invalidation removed, by kind of request. */
export class InvalidationSummaryResponse implements InvalidationSummary {
  @ApiProperty({ type: 'integer', example: 1 })
  keys!: number;

  @ApiProperty({ type: 'integer', example: 0 })
  patterns!: number;

  @ApiProperty({ type: 'integer', example: 0 })
  tags!: number;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: null,
    description: 'The namespace cleared, if any',
  })
  namespace!: string | null;
}

export class ReplicaConfirmationResponse implements ReplicaConfirmation {
  @ApiProperty({ type: 'integer', example: 2, description: 'Other replicas that heard the request' })
  replicas!: number;

  @ApiProperty({ type: 'integer', example: 2, description: 'Of those, the ones that applied it in time' })
  confirmed!: number;
}

/** The answer of `POST /admin/cache/invalidate`: done in Redis and on every replica. */
export class InvalidationResponse implements InvalidationResult {
  @ApiProperty({ type: InvalidationSummaryResponse })
  invalidated!: InvalidationSummaryResponse;

  @ApiProperty({ type: ReplicaConfirmationResponse })
  replicas!: ReplicaConfirmationResponse;
}
