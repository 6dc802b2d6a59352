import { PRODUCT_SORTS, productSearchQuerySchema, type ProductSort } from '@shop/contracts';
import { useId, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError } from '../api/http';
import { useProductSearch, useStockLevels } from '../api/queries';
import { usePageTitle } from '../layout/use-page-title';
import { QueryFailure } from '../layout/query-failure';
import { ProductCard } from './product-card';

const SORT_LABELS: Record<ProductSort, string> = {
  featured: 'Featured',
  relevance: 'Best match',
  'price-asc': 'Price, low to high',
  'price-desc': 'Price, high to low',
  'name-asc': 'Name, A to Z',
  'name-desc': 'Name, Z to A',
};

type SearchField = 'q' | 'sort';

/** The search and sort as the URL holds them (the URL is the state, so a link shares the view). */
function readSearch(params: URLSearchParams) {
  const q = params.get('q') ?? undefined;
  const sort = params.get('sort') ?? undefined;
  // Only these two: anything else in the URL (a campaign tag) is not the catalog's business.
  const parsed = productSearchQuerySchema.safeParse({ q, sort });
  const issue = parsed.success ? undefined : parsed.error.issues[0];
  return {
    q: parsed.success ? parsed.data.q : q,
    sort: parsed.success ? parsed.data.sort : undefined,
    explicitSort: parsed.success && sort ? parsed.data.sort : undefined,
    issue: issue ? { field: String(issue.path[0] ?? 'q') as SearchField, message: issue.message } : undefined,
  };
}

export function CatalogPage() {
  const [params, setParams] = useSearchParams();
  const search = readSearch(params);
  usePageTitle(search.q ? `Search: ${search.q}` : 'Shop');
  const products = useProductSearch({ q: search.issue ? undefined : search.q, sort: search.issue ? undefined : search.explicitSort });
  const stock = useStockLevels();
  const ids = useId();

  // What the URL asks for is checked here first; a 400 from the server (if the rules ever differ) lands in the same place.
  const serverIssue = products.error instanceof ApiError && products.error.status === 400 ? products.error.body?.issues?.[0] : undefined;
  const issue =
    search.issue ?? (serverIssue ? { field: (serverIssue.field === 'sort' ? 'sort' : 'q') as SearchField, message: serverIssue.message } : undefined);
  const errorOf = (field: SearchField) => (issue?.field === field ? issue.message : undefined);
  const shownSort = search.sort ?? (search.q ? 'relevance' : 'featured');

  const apply = (q: string, sort: string | undefined) => {
    const next = new URLSearchParams();
    const trimmed = q.trim();
    if (trimmed) next.set('q', trimmed);
    // "Best match" needs a search: without one it falls back to the featured order.
    if (sort && !(sort === 'relevance' && !trimmed)) next.set('sort', sort);
    setParams(next);
  };
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    // A sort the shopper never chose stays out of the URL, so a new search is ranked by relevance.
    apply(String(form.get('q') ?? ''), search.explicitSort);
  };

  const qErrorId = `${ids}-q-error`;
  const sortErrorId = `${ids}-sort-error`;
  const showFailure = products.isError && !serverIssue;

  return (
    <div className="page">
      <header className="page-intro">
        <h1 tabIndex={-1}>Everyday goods, made to last</h1>
        <p className="lede">Order any time. We confirm your stock the moment our warehouse has checked it.</p>
      </header>
      <form role="search" aria-label="Products" className="catalog-search" onSubmit={onSubmit}>
        <div className={`field${errorOf('q') ? ' field--invalid' : ''}`}>
          <label htmlFor={`${ids}-q`} className="field__label">
            Search products
          </label>
          <input
            // A new URL (back, a shared link) resets what the box shows.
            key={search.q ?? ''}
            id={`${ids}-q`}
            name="q"
            type="search"
            className="field__input"
            defaultValue={search.q ?? params.get('q') ?? ''}
            aria-invalid={errorOf('q') ? true : undefined}
            aria-describedby={errorOf('q') ? qErrorId : undefined}
          />
          {errorOf('q') && (
            <p id={qErrorId} className="field__error">
              <span className="visually-hidden">Error:</span> Search {errorOf('q')}
            </p>
          )}
        </div>
        <div className={`field${errorOf('sort') ? ' field--invalid' : ''}`}>
          <label htmlFor={`${ids}-sort`} className="field__label">
            Sort by
          </label>
          <select
            id={`${ids}-sort`}
            name="sort"
            className="field__input"
            value={shownSort}
            // The sort applies at once, with the search the box holds now.
            onChange={(event) => apply(String(new FormData(event.currentTarget.form ?? undefined).get('q') ?? ''), event.currentTarget.value)}
            aria-invalid={errorOf('sort') ? true : undefined}
            aria-describedby={errorOf('sort') ? sortErrorId : undefined}
          >
            {PRODUCT_SORTS.filter((sort) => sort !== 'relevance' || search.q).map((sort) => (
              <option key={sort} value={sort}>
                {SORT_LABELS[sort]}
              </option>
            ))}
          </select>
          {errorOf('sort') && (
            <p id={sortErrorId} className="field__error">
              <span className="visually-hidden">Error:</span> Sort {errorOf('sort')}
            </p>
          )}
        </div>
        <button type="submit" className="button button--primary">
          Search
        </button>
      </form>
      <p className="muted" role="status">
        {products.isPending && !issue ? 'Loading products…' : products.data && !issue ? describeResults(products.data.length, search.q) : ''}
      </p>
      {showFailure && <QueryFailure what="the products" onRetry={() => products.refetch()} />}
      {products.data && !issue && products.data.length === 0 && (
        <p>
          Try other words, or <Link to="/">see every product</Link>.
        </p>
      )}
      {products.data && !issue && products.data.length > 0 && (
        <ul className="product-grid" aria-label="Products">
          {products.data.map((product) => (
            <li key={product.sku}>
              <ProductCard
                product={product}
                available={stock.availableBySku?.get(product.sku)}
                inventoryOffline={stock.offline}
                checkingStock={stock.checking}
              />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function describeResults(count: number, q: string | undefined): string {
  if (!q) return count === 1 ? '1 product' : `${count} products`;
  if (count === 0) return `No products match “${q}”`;
  return count === 1 ? `1 product matches “${q}”` : `${count} products match “${q}”`;
}
