import type { ApiErrorBody } from '@shop/contracts';

/** A non-2xx answer. `body` is the server's error body when it sent one, so callers can show its issues. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | null,
  ) {
    super(body?.message ?? `The server answered ${status}`);
    this.name = 'ApiError';
  }
}

/** Fetches JSON; throws ApiError for an HTTP error and lets fetch's TypeError through for a network error. */
export async function requestJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set('accept', 'application/json');
  const response = await fetch(path, { ...init, headers });
  if (!response.ok) throw new ApiError(response.status, await readErrorBody(response));
  return (await response.json()) as T;
}

async function readErrorBody(response: Response): Promise<ApiErrorBody | null> {
  try {
    const body: unknown = await response.json();
    return isApiErrorBody(body) ? body : null;
  } catch {
    // A proxy's 502 page or an empty body: there is nothing to show but the status.
    return null;
  }
}

function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as Partial<ApiErrorBody>;
  return typeof body.statusCode === 'number' && typeof body.message === 'string';
}
