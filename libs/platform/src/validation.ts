import { BadRequestException, PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import type { ApiErrorBody } from '@shop/contracts';

/** Validates a body, query or header with a zod schema; a failure is a 400 that names each field. */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly fieldPrefix = '',
  ) {}

  transform(value: unknown): z.infer<S> {
    const parsed = this.schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.map((issue) => ({
      field: [this.fieldPrefix, ...issue.path.map(String)].filter(Boolean).join('.') || 'body',
      message: issue.message,
    }));
    const body: ApiErrorBody = {
      statusCode: 400,
      error: 'Bad Request',
      message: issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
      issues,
    };
    throw new BadRequestException(body);
  }
}
