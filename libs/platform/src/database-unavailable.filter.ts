import { Catch, HttpException, Logger, type ArgumentsHost } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { BaseExceptionFilter } from '@nestjs/core';
import { throwError } from 'rxjs';
import { errorBody, type HttpErrorBody } from './http-error-body';
import { isTransientDatabaseError } from './transient-errors';

/** What a client is told to wait before trying again: about how long a database failover or restart takes to be noticed. */
export const DATABASE_UNAVAILABLE_RETRY_AFTER_S = 5;

/**
 * A refusal whose body lacks `error`, with it: Nest answers the errors Fastify raises before any
 * handler (a body that is not JSON, too large or of another type) with status and message only.
 */
function withErrorName(exception: unknown): HttpException | null {
  if (!(exception instanceof HttpException)) return null;
  const body = exception.getResponse();
  const status = exception.getStatus();
  if (status < 400 || status >= 500) return null;
  if (typeof body === 'string') return new HttpException(errorBody(status, body), status);
  if (typeof body !== 'object' || body === null || 'error' in body) return null;
  return new HttpException({ ...body, error: STATUS_CODES[status] }, status);
}

/**
 * A request that failed because the service's database is unreachable, timed out or is restarting
 * answers 503 with Retry-After and a body a storefront can show, never a 500: nothing is wrong with
 * the request, and the same request (the same Idempotency-Key) is safe to send again. Fastify's own
 * refusals get the API's error body (withErrorName); every other error keeps Nest's handling; a consumer's error goes to the transport unchanged (it retries).
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('DatabaseUnavailable');

  override catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') return throwError(() => exception);
    const named = withErrorName(exception);
    if (named) return super.catch(named, host);
    if (!isTransientDatabaseError(exception)) return super.catch(exception, host);
    this.logger.warn(`answering 503: the database is unavailable (${(exception as Error)?.message})`);
    const body: HttpErrorBody = {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The shop cannot reach its database right now. Please try again in a few seconds; trying the same order again never places it twice.',
    };
    const http = this.applicationRef ?? this.httpAdapterHost!.httpAdapter;
    const reply: unknown = host.switchToHttp().getResponse();
    http.setHeader(reply, 'Retry-After', String(DATABASE_UNAVAILABLE_RETRY_AFTER_S));
    http.setHeader(reply, 'Cache-Control', 'no-store');
    http.reply(reply, body, 503);
  }
}
