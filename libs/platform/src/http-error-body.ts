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
