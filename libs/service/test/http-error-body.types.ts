// Checked by `pnpm typecheck` (tsc over every file), not run: the body the base's filters and pipes
// write (HttpErrorBody) must be exactly the one the shop's HTTP contract promises the storefront.
import type { ApiErrorBody } from '@shop/contracts';
import type { HttpErrorBody } from '@shop/platform';

/** True only when A and B are the same type: a field added, dropped, made optional or retyped on either side makes it false. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const httpErrorBodyIsTheContractsApiErrorBody: Same<HttpErrorBody, ApiErrorBody> = true;
