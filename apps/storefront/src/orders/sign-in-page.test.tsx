import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { MemoryRouter } from 'react-router';
import { SIGN_IN_LINK_SENT_MESSAGE, type OrderView } from '@shop/contracts';
import { describe, expect, it } from 'vitest';
import { installFakeApi, json, productBySku, shopRoutes } from '../test/fake-api';
import { ShopRoutes } from '../app';
import { CartProvider } from '../cart/cart-context';
import { renderShop } from '../test/render-shop';

const TOKEN = 'bGluay0xMjM.ZXhwaXJlcw.c2lnbmF0dXJl-_';
const ORDER_ID = 'aa11bb22-0000-4000-8000-000000000001';

function order(): OrderView {
  const mug = productBySku('MUG-001');
  return {
    id: ORDER_ID,
    status: 'CONFIRMED',
    statusReason: null,
    payment: null,
    stockReleased: false,
    cancellable: false,
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: [{ sku: mug.sku, name: mug.name, quantity: 1, unitPriceCents: mug.priceCents }],
    totalCents: mug.priceCents,
    createdAt: '2030-05-01T10:00:00.000Z',
    updatedAt: '2030-05-01T10:00:00.000Z',
  };
}

const unauthorized = (message: string) => () => json({ statusCode: 401, error: 'Unauthorized', message }, 401);

describe('sign-in link', () => {
  it("posts nothing on arrival; the click exchanges the token from the fragment once for a session and shows that email's orders", async () => {
    let session: { email: string; expiresAt: string } | null = null;
    const api = installFakeApi({
      ...shopRoutes(),
      'POST /api/sessions': () => {
        session = { email: 'ada@example.com', expiresAt: '2030-05-08T10:00:00.000Z' };
        return json(session, 201);
      },
      'GET /api/sessions/current': () => (session ? json(session) : unauthorized('no session')()),
      'GET /api/orders': () => (session ? json([order()]) : unauthorized('no session')()),
    });
    const { user } = renderShop(`/orders/sign-in#token=${encodeURIComponent(TOKEN)}`);

    // A mail scanner that opens the link and runs its scripts gets this far, and spends nothing.
    const button = await screen.findByRole('button', { name: 'Sign me in' });
    expect(screen.getByRole('heading', { level: 1, name: 'Sign in to your orders' })).toBeInTheDocument();
    await waitForIdleShop(api);
    expect(api.posts()).toEqual([]);

    await user.click(button);

    const list = await screen.findByRole('list', { name: 'Orders for ada@example.com' });
    expect(within(list).getByRole('link', { name: 'Order AA11BB22' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'My orders' })).toBeInTheDocument();
    // Single use: exactly one exchange, carrying the token as it was in the link.
    expect(api.posts().map((request) => [new URL(request.url).pathname, request.body])).toEqual([['/api/sessions', { token: TOKEN }]]);
  });

  it('signs in from the keyboard: the button is reached with Tab and pressed with Enter', async () => {
    const api = installFakeApi({
      ...shopRoutes(),
      'POST /api/sessions': () => json({ email: 'ada@example.com', expiresAt: '2030-05-08T10:00:00.000Z' }, 201),
      'GET /api/sessions/current': () => json({ email: 'ada@example.com', expiresAt: '2030-05-08T10:00:00.000Z' }),
      'GET /api/orders': () => json([order()]),
    });
    const { user } = renderShop(`/orders/sign-in#token=${TOKEN}`);
    const button = await screen.findByRole('button', { name: 'Sign me in' });

    for (let tabs = 0; tabs < 20 && document.activeElement !== button; tabs++) await user.tab();
    expect(button).toHaveFocus();
    await user.keyboard('{Enter}');

    expect(await screen.findByRole('list', { name: 'Orders for ada@example.com' })).toBeInTheDocument();
    expect(api.posts()).toHaveLength(1);
  });

  it('under StrictMode, which runs effects twice as a remount would, posts nothing on arrival and once on a double click', async () => {
    const api = installFakeApi({
      ...shopRoutes(),
      'POST /api/sessions': () => json({ email: 'ada@example.com', expiresAt: '2030-05-08T10:00:00.000Z' }, 201),
      'GET /api/sessions/current': () => json({ email: 'ada@example.com', expiresAt: '2030-05-08T10:00:00.000Z' }),
      'GET /api/orders': () => json([order()]),
    });
    const user = userEvent.setup();
    // As main.tsx renders the shop.
    render(
      <StrictMode>
        <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
          <CartProvider>
            <MemoryRouter initialEntries={[`/orders/sign-in#token=${TOKEN}`]}>
              <ShopRoutes />
            </MemoryRouter>
          </CartProvider>
        </QueryClientProvider>
      </StrictMode>,
    );

    const button = await screen.findByRole('button', { name: 'Sign me in' });
    await waitForIdleShop(api);
    expect(api.posts()).toEqual([]);
    await user.dblClick(button);

    expect(await screen.findByRole('list', { name: 'Orders for ada@example.com' })).toBeInTheDocument();
    expect(api.posts()).toHaveLength(1);
  });

  it('a used or expired link says so after the click and offers a new one', async () => {
    const api = installFakeApi({
      ...shopRoutes(),
      'POST /api/sessions': unauthorized('this sign-in link was already used or has expired; ask for a new one'),
      'POST /api/sessions/link': () => new Response(null, { status: 202 }),
    });
    const { user } = renderShop(`/orders/sign-in#token=${TOKEN}`);

    await user.click(await screen.findByRole('button', { name: 'Sign me in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('This link was already used or has expired. Ask for a new one below.');
    expect(screen.queryByRole('button', { name: 'Sign me in' })).not.toBeInTheDocument();
    await user.type(screen.getByLabelText('Email used at checkout'), 'ada@example.com');
    await user.click(screen.getByRole('button', { name: 'Email me a link to my orders' }));
    expect(await screen.findByText(SIGN_IN_LINK_SENT_MESSAGE)).toBeInTheDocument();
    expect(api.posts().map((request) => new URL(request.url).pathname)).toEqual(['/api/sessions', '/api/sessions/link']);
  });

  it('without a token says the link is incomplete, asks for nothing and offers the form', async () => {
    const api = installFakeApi(shopRoutes());
    renderShop('/orders/sign-in');

    expect(await screen.findByRole('button', { name: 'Email me a link to my orders' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'Sign in to your orders' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('This link is incomplete: part of it is missing.');
    expect(screen.queryByRole('button', { name: 'Sign me in' })).not.toBeInTheDocument();
    expect(api.posts()).toEqual([]);
  });

  it('a network failure says the shop could not be reached, not that the link is bad', async () => {
    installFakeApi({
      ...shopRoutes(),
      'POST /api/sessions': () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const { user } = renderShop(`/orders/sign-in#token=${TOKEN}`);

    await user.click(await screen.findByRole('button', { name: 'Sign me in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent("We couldn't sign you in right now.");
    expect(screen.queryByText(/already used/)).not.toBeInTheDocument();
  });
});

/** The page has made its arrival requests (the status strip's), so "nothing POSTed yet" is not just "asked too early". */
async function waitForIdleShop(api: ReturnType<typeof installFakeApi>) {
  await waitFor(() => expect(api.requests.some((request) => new URL(request.url).pathname === '/api/system/status')).toBe(true));
}
