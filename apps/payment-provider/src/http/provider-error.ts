import { STATUS_CODES } from 'node:http';
import type { z } from 'zod';

export interface FieldIssue {
  field: string;
  message: string;
}

/** The body of every error the provider answers: the shop's error shape plus a machine-readable `code`. */
export interface ProviderErrorBody {
  statusCode: number;
  error: string;
  /** What went wrong, for a program: `invalid_state`, `invalid_token`, `idempotency_key_reused`... */
  code?: string;
  message: string;
  issues?: FieldIssue[];
  /** The authorization as it stands, with an `invalid_state` refusal: the caller sees why (captured, voided...). */
  authorization?: unknown;
}

/** A refusal the caller can act on; the HTTP layer answers it as is. */
export class ProviderError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly issues?: FieldIssue[],
    readonly authorization?: unknown,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  /** A refusal of one field: the message names it. */
  static field(statusCode: number, code: string, field: string, message: string): ProviderError {
    return new ProviderError(statusCode, code, `${field}: ${message}`, [{ field, message }]);
  }

  get body(): ProviderErrorBody {
    return {
      statusCode: this.statusCode,
      error: STATUS_CODES[this.statusCode] ?? 'Error',
      code: this.code,
      message: this.message,
      ...(this.issues ? { issues: this.issues } : {}),
      ...(this.authorization ? { authorization: this.authorization } : {}),
    };
  }
}

/** Parses with a zod schema; a failure is a 400 naming each field as the client sent it (never echoing the value). */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, fieldPrefix = ''): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fieldOf = (path: readonly PropertyKey[]) => [fieldPrefix, ...path.map(String)].filter(Boolean).join('.') || fieldPrefix || 'body';
  const issues = parsed.error.issues.flatMap((issue) =>
    // An unknown key is reported on its object with the keys in a list: name each one as the field.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: fieldOf([...issue.path, key]), message: 'is unknown to this endpoint; leave it out' }))
      : [{ field: fieldOf(issue.path), message: issue.message }],
  );
  throw new ProviderError(400, 'invalid_request', issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '), issues);
}
