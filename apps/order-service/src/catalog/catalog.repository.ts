import type { ProductSort, ProductView } from '@shop/contracts';
import type { DataSource } from 'typeorm';

/** What a search asks the repository: the sort is already defaulted (`relevance` only ever comes with a query). */
export interface CatalogQuery {
  q: string | undefined;
  sort: ProductSort;
}

interface ProductRow {
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  image_url: string;
}

/** Each sort as SQL; the sku breaks every tie, so a listing is the same on every request. Only these strings reach the SQL. */
const ORDER_BY: Record<ProductSort, string> = {
  featured: 'sku',
  relevance: 'ts_rank(search, query) DESC, sku',
  'price-asc': 'price_cents ASC, sku',
  'price-desc': 'price_cents DESC, sku',
  'name-asc': 'name ASC, sku',
  'name-desc': 'name DESC, sku',
};

const COLUMNS = 'sku, name, description, price_cents, image_url';

/**
 * The statement behind a listing (exported so a test can EXPLAIN exactly it). websearch_to_tsquery takes
 * what shoppers type (quotes, `-word`, `or`) and never fails on syntax; a query of stop words only matches
 * nothing. `search` is the generated tsvector behind products_search_idx (migration 1732500000003).
 */
export function catalogSearchStatement({ q, sort }: CatalogQuery): { text: string; values: string[] } {
  // Without a search there is no rank: relevance (refused by the contract) falls back to the featured order.
  if (q === undefined) return { text: `SELECT ${COLUMNS} FROM products ORDER BY ${ORDER_BY[sort === 'relevance' ? 'featured' : sort]}`, values: [] };
  return {
    text: `SELECT ${COLUMNS} FROM products, websearch_to_tsquery('english', $1) AS query WHERE search @@ query ORDER BY ${ORDER_BY[sort]}`,
    values: [q],
  };
}

/** The SQL of the catalog's listing, search and product page (orders price through CatalogService.findBySkus). */
export class CatalogRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The products matching `q`, in `sort` order; every product without `q`. */
  async search(query: CatalogQuery): Promise<ProductView[]> {
    const { text, values } = catalogSearchStatement(query);
    const rows: ProductRow[] = await this.dataSource.query(text, values);
    return rows.map(toProductView);
  }

  async findBySku(sku: string): Promise<ProductView | null> {
    const rows: ProductRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM products WHERE sku = $1`, [sku]);
    return rows.length > 0 ? toProductView(rows[0]) : null;
  }
}

const toProductView = (row: ProductRow): ProductView => ({
  sku: row.sku,
  name: row.name,
  description: row.description,
  priceCents: row.price_cents,
  imageUrl: row.image_url,
});
