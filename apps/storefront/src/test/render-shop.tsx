import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { ShopRoutes } from '../app';
import { CartProvider } from '../cart/cart-context';

/** Renders the whole shop at a path, as a shopper would land on it, with a fresh cache. */
/** `prepare` sees the query cache before the first render (e.g. a session signed in earlier in the visit). */
export function renderShop(path = '/', prepare?: (queryClient: QueryClient) => void) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  prepare?.(queryClient);
  const user = userEvent.setup();
  const view = render(
    <QueryClientProvider client={queryClient}>
      <CartProvider>
        <MemoryRouter initialEntries={[path]}>
          <ShopRoutes />
        </MemoryRouter>
      </CartProvider>
    </QueryClientProvider>,
  );
  return { ...view, user, queryClient };
}
