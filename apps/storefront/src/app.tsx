import { lazy, Suspense } from 'react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Link, Route, Routes } from 'react-router';
import { ApiError } from './api/http';
import { CartPage } from './cart/cart-page';
import { CartProvider } from './cart/cart-context';
import { CatalogPage } from './catalog/catalog-page';
import { ProductPage } from './catalog/product-page';
import { CheckoutPage } from './checkout/checkout-page';
import { AppLayout } from './layout/app-layout';
import { usePageTitle } from './layout/use-page-title';
import { MyOrdersPage } from './orders/my-orders-page';
import { OrderPage } from './orders/order-page';
import { SignInPage } from './orders/sign-in-page';

/**
 * The operators' console is its own chunk, fetched only when /operations is opened: shoppers never
 * download it. Nothing else in the shop may import from ./operations statically (app-chunks.test.ts).
 */
const OperationsPage = lazy(() => import('./operations/operations-page').then((module) => ({ default: module.OperationsPage })));

export function createQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: retryOnceUnlessRefused } } });
}

/** A network error or a 5xx may pass; a 4xx says the request itself is wrong, so asking again is pointless. */
function retryOnceUnlessRefused(failureCount: number, error: Error): boolean {
  return failureCount < 1 && !(error instanceof ApiError && error.status < 500);
}

export function ShopRoutes() {
  return (
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={<CatalogPage />} />
        <Route path="products/:sku" element={<ProductPage />} />
        <Route path="cart" element={<CartPage />} />
        <Route path="checkout" element={<CheckoutPage />} />
        <Route path="orders" element={<MyOrdersPage />} />
        {/* A static segment ranks above orders/:orderId, so "sign-in" is never read as an order id. */}
        <Route path="orders/sign-in" element={<SignInPage />} />
        <Route path="orders/:orderId" element={<OrderPage />} />
        <Route
          path="operations"
          element={
            <Suspense fallback={<OperationsLoading />}>
              <OperationsPage />
            </Suspense>
          }
        />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

export function App({ queryClient }: { queryClient: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <CartProvider>
        <BrowserRouter>
          <ShopRoutes />
        </BrowserRouter>
      </CartProvider>
    </QueryClientProvider>
  );
}

function OperationsLoading() {
  return (
    <div className="page page--narrow">
      <p className="muted" role="status">
        Loading the operators&apos; console…
      </p>
    </div>
  );
}

function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <div className="page page--narrow">
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Back to the shop</Link>
      </p>
    </div>
  );
}
