import { useProducts, useStockLevels } from '../api/queries';
import { usePageTitle } from '../layout/use-page-title';
import { QueryFailure } from '../layout/query-failure';
import { ProductCard } from './product-card';

export function CatalogPage() {
  usePageTitle('Shop');
  const products = useProducts();
  const stock = useStockLevels();

  return (
    <div className="page">
      <header className="page-intro">
        <h1 tabIndex={-1}>Everyday goods, made to last</h1>
        <p className="lede">Order any time. We confirm your stock the moment our warehouse has checked it.</p>
      </header>
      {products.isPending && (
        <p className="muted" role="status">
          Loading products…
        </p>
      )}
      {products.isError && <QueryFailure what="the products" onRetry={() => products.refetch()} />}
      {products.data && (
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
