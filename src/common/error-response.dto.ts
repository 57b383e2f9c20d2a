import { ApiProperty } from '@nestjs/swagger';

/** The body of every error response, as `AllExceptionsFilter` writes it (for the OpenAPI document). */
export class ErrorResponse {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({
    description: 'What was wrong, naming the field when the input was',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['name must be shorter than or equal to 200 characters'],
  })
  message!: string | string[];
}
