import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { ShopRoutes } from '../app';
import { CartProvider } from '../cart/cart-context';

/** Renders the whole shop at a path, as a shopper would land on it, with a fresh cache. */
export function renderShop(path = '/') {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
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
