import { z } from 'zod';
import { humanTextSchema } from './text';

/** The orders a catalog listing can come in; `featured` is the shop's own (sku) order, `relevance` needs a search. */
export const PRODUCT_SORTS = ['featured', 'relevance', 'price-asc', 'price-desc', 'name-asc', 'name-desc'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

export const CATALOG_LIMITS = { maxQueryLength: 100 } as const;

/** An empty `q=` (a cleared search box) means no search, not a 400. */
const blankAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/**
 * Query of GET /api/products and of the storefront's catalog URL (`/?q=mug&sort=price-asc`).
 * Unknown parameters are refused by name; the sort defaults to `relevance` with a search, else `featured`.
 */
export const productSearchQuerySchema = z
  .strictObject({
    q: z.preprocess(blankAsUndefined, humanTextSchema(CATALOG_LIMITS.maxQueryLength).optional()),
    sort: z.preprocess(blankAsUndefined, z.enum(PRODUCT_SORTS, { error: `must be one of ${PRODUCT_SORTS.join(', ')}` }).optional()),
  })
  .superRefine((query, ctx) => {
    if (query.sort === 'relevance' && query.q === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sort'], message: 'relevance needs a search (q)' });
    }
  })
  .transform((query) => ({ q: query.q, sort: query.sort ?? (query.q === undefined ? 'featured' : 'relevance') }) as ProductSearch);

export interface ProductSearch {
  q: string | undefined;
  sort: ProductSort;
}
