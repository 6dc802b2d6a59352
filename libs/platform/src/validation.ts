import { BadRequestException, Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor, type PipeTransform } from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';
import type { z } from 'zod';
import { badRequestBody, type HttpErrorBody } from './http-error-body';

/** Validates a body, query or header with a zod schema; a failure is a 400 that names each field. */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly fieldPrefix = '',
  ) {}

  transform(value: unknown): z.infer<S> {
    const parsed = this.schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.flatMap((issue) =>
      // An unknown key is reported on its object, with the keys in a list: name each one as the field.
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: this.fieldOf([...issue.path, key]), message: 'is unknown to this endpoint; leave it out' }))
        : [{ field: this.fieldOf(issue.path), message: issue.message }],
    );
    throw new BadRequestException(badRequestBody(issues));
  }

  private fieldOf(path: readonly PropertyKey[]): string {
    return [this.fieldPrefix, ...path.map(String)].filter(Boolean).join('.') || 'body';
  }
}

/** SQLSTATE class 22, "data exception": the value itself cannot be stored (NUL in text, bad encoding, out of range...). */
const DATA_EXCEPTION_SQLSTATE = /^22[0-9A-Z]{3}$/;

/** The PostgreSQL data exception in `err` (TypeORM keeps it as `driverError`), or null. */
export function databaseDataException(err: unknown): { code: string; message: string } | null {
  for (
    let current = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0;
    current && depth < 4;
    depth++
  ) {
    if (typeof current.code === 'string' && DATA_EXCEPTION_SQLSTATE.test(current.code)) return { code: current.code, message: String(current.message) };
    current = (current.driverError ?? current.cause) as typeof current;
  }
  return null;
}

/**
 * The safety net behind the schemas: a value PostgreSQL refuses as data (SQLSTATE class 22) is the
 * client's input, so a 400, never a 500. Schemas should refuse it first, so each one is logged as a gap.
 */
@Injectable()
export class DatabaseDataErrorsAsBadRequest implements NestInterceptor {
  private readonly logger = new Logger('HttpInput');

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // Consumers inherit app-wide interceptors; their errors must reach the transport unchanged.
    if (context.getType() !== 'http') return next.handle();
    return next.handle().pipe(
      catchError((err: unknown) => {
        const refused = databaseDataException(err);
        if (!refused) return throwError(() => err);
        this.logger.warn(`input passed validation but the database refused it (SQLSTATE ${refused.code}): ${refused.message}`);
        const issues = [{ field: 'body', message: `holds a value that cannot be stored: ${refused.message}` }];
        const body: HttpErrorBody = { statusCode: 400, error: 'Bad Request', message: issues[0].message, issues };
        return throwError(() => new BadRequestException(body));
      }),
    );
  }
}
