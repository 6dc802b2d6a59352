import { act, screen, within } from '@testing-library/react';
import { SIGN_IN_LINK_SENT_MESSAGE, type OrderView } from '@shop/contracts';
import { describe, expect, it } from 'vitest';
import { installFakeApi, json, productBySku, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';
import { loadPlacedOrders, PLACED_ORDERS_STORAGE_KEY, recordPlacedOrder } from './placed-orders';
import { loadCustomer, saveCustomer } from '../checkout/saved-customer';

const FIRST = 'aa11bb22-0000-4000-8000-000000000001';
const SECOND = 'cc33dd44-0000-4000-8000-000000000002';
const GONE = 'ee55ff66-0000-4000-8000-000000000003';

function order(id: string, status: OrderView['status'], email = 'ada@example.com'): OrderView {
  const cap = productBySku('CAP-003');
  return {
    id,
    status,
    statusReason: null,
    payment: null,
    stockReleased: false,
    cancellable: false,
    customer: { name: 'Ada Lovelace', email },
    lines: [{ sku: cap.sku, name: cap.name, quantity: 2, unitPriceCents: cap.priceCents }],
    totalCents: cap.priceCents * 2,
    createdAt: '2030-05-01T10:00:00.000Z',
    updatedAt: '2030-05-01T10:00:00.000Z',
  };
}

const unauthorized = () => json({ statusCode: 401, error: 'Unauthorized', message: 'sign in to list your orders' }, 401);
const notFound = (id: string) => () => json({ statusCode: 404, error: 'Not Found', message: `order ${id} does not exist` }, 404);

describe('my orders', () => {
  it("lists this browser's orders by id, updates a pending one, and drops one the server no longer knows", async () => {
    recordPlacedOrder({ id: GONE, createdAt: '2030-04-01T10:00:00.000Z' });
    recordPlacedOrder({ id: SECOND, createdAt: '2030-05-01T09:00:00.000Z' });
    recordPlacedOrder({ id: FIRST, createdAt: '2030-05-01T10:00:00.000Z' });
    let polls = 0;
    const api = installFakeApi({
      ...shopRoutes(),
      'GET /api/sessions/current': unauthorized,
      [`GET /api/orders/${FIRST}`]: () => json(order(FIRST, polls++ === 0 ? 'PENDING' : 'CONFIRMED')),
      [`GET /api/orders/${SECOND}`]: () => json(order(SECOND, 'REJECTED')),
      [`GET /api/orders/${GONE}`]: notFound(GONE),
    });
    renderShop('/orders');

    const list = await screen.findByRole('list', { name: 'Orders placed from this browser' });
    const first = within(list).getByRole('link', { name: 'Order AA11BB22' }).closest('li')!;
    expect(within(first).getByText('Waiting for confirmation')).toBeInTheDocument();
    expect(
      within(list)
        .getAllByRole('link')
        .map((link) => link.textContent),
    ).toEqual(['Order AA11BB22', 'Order CC33DD44']);
    expect(within(within(list).getByRole('link', { name: 'Order CC33DD44' }).closest('li')!).getByText('Not confirmed')).toBeInTheDocument();
    expect(await screen.findByText('1 order is no longer found.')).toBeInTheDocument();
    expect(loadPlacedOrders().map((placed) => placed.id)).toEqual([FIRST, SECOND]);
    // Nothing lists orders by an address: the only list request needs a session, and there is none.
    expect(api.requests.some((request) => new URL(request.url).pathname === '/api/orders')).toBe(false);

    expect(await within(first).findByText('Confirmed', {}, { timeout: 5_000 })).toBeInTheDocument();
    expect(screen.getByText('2 orders, all settled.')).toHaveAttribute('role', 'status');
  });

  it('shows an order placed in another tab of the shop without a reload', async () => {
    installFakeApi({
      ...shopRoutes(),
      'GET /api/sessions/current': unauthorized,
      [`GET /api/orders/${FIRST}`]: () => json(order(FIRST, 'CONFIRMED')),
    });
    renderShop('/orders');
    expect(await screen.findByText('No orders placed from this browser yet.')).toBeInTheDocument();

    // The other tab writes the list; this one hears of it through the storage event.
    recordPlacedOrder({ id: FIRST, createdAt: '2030-05-01T10:00:00.000Z' });
    act(() => {
      window.dispatchEvent(new StorageEvent('storage', { key: PLACED_ORDERS_STORAGE_KEY }));
    });

    const list = await screen.findByRole('list', { name: 'Orders placed from this browser' });
    expect(within(list).getByRole('link', { name: 'Order AA11BB22' })).toBeInTheDocument();
  });

  it("forgets this browser's orders on a shared computer: the ids and the saved name and email go, the section says there are none, a session's list stays", async () => {
    saveCustomer({ name: 'Bob', email: 'bob@example.com' });
    recordPlacedOrder({ id: SECOND, createdAt: '2030-05-01T09:00:00.000Z' });
    recordPlacedOrder({ id: FIRST, createdAt: '2030-05-01T10:00:00.000Z' });
    installFakeApi({
      ...shopRoutes(),
      'GET /api/sessions/current': () => json({ email: 'bob@example.com', expiresAt: '2030-05-08T10:00:00.000Z' }),
      'GET /api/orders': () => json([order(GONE, 'CONFIRMED', 'bob@example.com')]),
      [`GET /api/orders/${FIRST}`]: () => json(order(FIRST, 'CONFIRMED')),
      [`GET /api/orders/${SECOND}`]: () => json(order(SECOND, 'CONFIRMED')),
    });
    const { user } = renderShop('/orders');

    const placedHere = await screen.findByRole('list', { name: 'Orders placed from this browser' });
    expect(within(placedHere).getAllByRole('link')).toHaveLength(2);
    // Signing out would leave them listed: the signed-in part says so.
    expect(await screen.findByText(/Signing out leaves the orders placed from this browser listed above/)).toHaveTextContent(
      '“Forget the orders placed from this browser”',
    );

    await user.click(screen.getByRole('button', { name: 'Forget the orders placed from this browser' }));

    expect(
      await screen.findByText('No orders are listed for this browser now: they are forgotten here, with the name and email saved for checkout.'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('list', { name: 'Orders placed from this browser' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Forget the orders placed from this browser' })).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 2, name: 'Placed from this browser' })).toHaveFocus();
    expect(window.localStorage.getItem(PLACED_ORDERS_STORAGE_KEY)).toBeNull();
    expect(loadCustomer()).toEqual({ name: '', email: '' });
    expect(screen.queryByText(/Signing out leaves/)).not.toBeInTheDocument();
    // The session's orders are the server's answer for the email, not this browser's list.
    expect(within(screen.getByRole('list', { name: 'Orders for bob@example.com' })).getAllByRole('link')).toHaveLength(1);
  });

  it('offers nothing to forget when this browser placed no orders', async () => {
    installFakeApi({ ...shopRoutes(), 'GET /api/sessions/current': unauthorized });
    renderShop('/orders');

    expect(await screen.findByText('No orders placed from this browser yet.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Forget the orders placed from this browser' })).not.toBeInTheDocument();
  });

  it('without a session offers the link form, and says the same sentence for any address', async () => {
    const api = installFakeApi({
      ...shopRoutes(),
      'GET /api/sessions/current': unauthorized,
      'POST /api/sessions/link': () => new Response(JSON.stringify({ message: SIGN_IN_LINK_SENT_MESSAGE }), { status: 202 }),
    });
    const { user } = renderShop('/orders');

    expect(await screen.findByText('No orders placed from this browser yet.')).toBeInTheDocument();
    await user.type(await screen.findByLabelText('Email used at checkout'), ' ada@example.com ');
    await user.click(screen.getByRole('button', { name: 'Email me a link to my orders' }));

    expect(await screen.findByText(SIGN_IN_LINK_SENT_MESSAGE)).toHaveAttribute('role', 'status');
    expect(api.posts().map((request) => [new URL(request.url).pathname, request.body])).toEqual([['/api/sessions/link', { email: 'ada@example.com' }]]);
  });

  it("shows the server's refusal of the email under the field", async () => {
    installFakeApi({
      ...shopRoutes(),
      'GET /api/sessions/current': unauthorized,
      'POST /api/sessions/link': () =>
        json(
          {
            statusCode: 400,
            error: 'Bad Request',
            message: 'email: must be a valid email address',
            issues: [{ field: 'email', message: 'must be a valid email address' }],
          },
          400,
        ),
    });
    const { user } = renderShop('/orders');

    await user.type(await screen.findByLabelText('Email used at checkout'), 'ada@x');
    await user.click(screen.getByRole('button', { name: 'Email me a link to my orders' }));

    expect(await screen.findByText('Email must be a valid email address')).toBeInTheDocument();
    expect(screen.getByLabelText('Email used at checkout')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByText(SIGN_IN_LINK_SENT_MESSAGE)).not.toBeInTheDocument();
  });

  it("with a session lists that email's orders, and signing out brings the form back", async () => {
    let signedIn = true;
    const api = installFakeApi({
      ...shopRoutes(),
      'GET /api/sessions/current': () => (signedIn ? json({ email: 'ada@example.com', expiresAt: '2030-05-08T10:00:00.000Z' }) : unauthorized()),
      'GET /api/orders': () => (signedIn ? json([order(FIRST, 'CONFIRMED'), order(SECOND, 'CONFIRMED')]) : unauthorized()),
      'DELETE /api/sessions/current': () => {
        signedIn = false;
        return new Response(null, { status: 204 });
      },
    });
    const { user } = renderShop('/orders');

    const list = await screen.findByRole('list', { name: 'Orders for ada@example.com' });
    expect(
      within(list)
        .getAllByRole('link')
        .map((link) => link.textContent),
    ).toEqual(['Order AA11BB22', 'Order CC33DD44']);
    expect(screen.getByText(/Signed in as/)).toHaveTextContent('Signed in as ada@example.com.');

    await user.click(screen.getByRole('button', { name: 'Sign out' }));

    expect(await screen.findByRole('button', { name: 'Email me a link to my orders' })).toBeInTheDocument();
    expect(screen.queryByRole('list', { name: 'Orders for ada@example.com' })).not.toBeInTheDocument();
    expect(api.requests.filter((request) => request.method === 'DELETE').map((request) => new URL(request.url).pathname)).toEqual(['/api/sessions/current']);
  });

  it('a session that expires while the page is open goes back to the form', async () => {
    installFakeApi({
      ...shopRoutes(),
      'GET /api/sessions/current': () => json({ email: 'ada@example.com', expiresAt: '2030-05-08T10:00:00.000Z' }),
      'GET /api/orders': unauthorized,
    });
    renderShop('/orders');

    expect(await screen.findByRole('button', { name: 'Email me a link to my orders' })).toBeInTheDocument();
    expect(screen.queryByText(/couldn't load/)).not.toBeInTheDocument();
  });
});
