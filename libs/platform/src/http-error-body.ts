import { STATUS_CODES } from 'node:http';

/**
 * The body of every error this base answers (Nest's own shape, plus the fields to fix). An
 * application's HTTP contract describes the same body to its clients (the shop's is ApiErrorBody
 * in @shop/contracts; libs/service checks that the two agree).
 */
export interface HttpErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** One entry per field to fix, named as the client sent it (`lines.0.quantity`, `Idempotency-Key`). */
  issues?: { field: string; message: string }[];
}

/** An error's body with the status's standard name (`error`) and `message`. */
export function errorBody(statusCode: number, message: string): HttpErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/** A 400 naming each field to fix, its message listing them (`field: message; ...`). */
export function badRequestBody(issues: { field: string; message: string }[]): HttpErrorBody {
  return { ...errorBody(400, issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')), issues };
}
