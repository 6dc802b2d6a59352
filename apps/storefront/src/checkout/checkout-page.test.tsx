import { screen, waitFor, within } from '@testing-library/react';
import type { OrderView } from '@shop/contracts';
import { beforeEach, describe, expect, it } from 'vitest';
import { CART_STORAGE_KEY } from '../cart/cart-storage';
import { FakeEventSource } from '../test/fake-event-source';
import { installFakeApi, json, networkError, PRODUCTS, productBySku, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function putInCart(lines: { sku: string; quantity: number }[]) {
  window.localStorage.setItem(CART_STORAGE_KEY, JSON.stringify(lines));
}

function pendingOrder(overrides: Partial<OrderView> = {}): OrderView {
  const mug = productBySku('MUG-001');
  const now = new Date().toISOString();
  return {
    id: '0b7f3d4e-58a1-4c39-9a6e-1f0d2c3b4a59',
    status: 'PENDING',
    statusReason: null,
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: [{ sku: mug.sku, name: mug.name, quantity: 2, unitPriceCents: mug.priceCents }],
    totalCents: mug.priceCents * 2,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

async function fillDetails(user: ReturnType<typeof renderShop>['user'], name: string, email: string) {
  const nameField = await screen.findByLabelText('Name');
  const emailField = screen.getByLabelText('Email');
  await user.clear(nameField);
  if (name) await user.type(nameField, name);
  await user.clear(emailField);
  if (email) await user.type(emailField, email);
}

const placeOrderButton = () => screen.getByRole('button', { name: /Place order/ });

describe('checkout', () => {
  beforeEach(() => FakeEventSource.install());

  it('shows the shared schema messages beside each field, focuses the summary and sends nothing', async () => {
    const api = installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, '', 'ada@example');
    await user.click(placeOrderButton());

    expect(screen.getByLabelText('Name')).toHaveAccessibleDescription('Error: Name is required');
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription(
      'We send no marketing. You can look up your orders with it. Error: Email must be a valid email address',
    );
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
    const summary = screen.getByRole('heading', { name: 'There are 2 problems' }).parentElement!;
    expect(summary).toHaveFocus();
    expect(within(summary).getByRole('link', { name: 'Email must be a valid email address' })).toBeInTheDocument();
    expect(api.posts()).toHaveLength(0);
  });

  it('shows an empty cart as such, with no form and no Place order button', async () => {
    const api = installFakeApi(shopRoutes());
    renderShop('/checkout');

    expect(await screen.findByRole('heading', { level: 1, name: 'Checkout' })).toBeInTheDocument();
    expect(screen.getByText('Your cart is empty.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Browse the shop' })).toHaveAttribute('href', '/');
    expect(screen.queryByRole('button', { name: /Place order/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('form')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Name')).not.toBeInTheDocument();
    expect(screen.queryByText('$0.00')).not.toBeInTheDocument();
    expect(api.posts()).toHaveLength(0);
  });

  it("repeats the cart's stock warning on the line and above the button", async () => {
    installFakeApi(shopRoutes());
    putInCart([
      { sku: 'MUG-001', quantity: 2 },
      { sku: 'BLK-012', quantity: 20 },
    ]);
    const { user } = renderShop('/cart');

    const warning = 'Only 15 in stock right now: this order would not be confirmed unless more arrives.';
    expect(await screen.findByText(warning)).toBeInTheDocument();
    await user.click(screen.getByRole('link', { name: 'Go to checkout' }));

    const blanketLine = await screen.findByText('20 × Wool Blanket').then((name) => name.closest('li')!);
    expect(await within(blanketLine).findByText(warning)).toBeInTheDocument();
    expect(within(document.getElementById('line-MUG-001')!).queryByText(/in stock/)).not.toBeInTheDocument();
    const notice = '1 item is more than we have in stock now: this order would be rejected unless more arrives.';
    expect(screen.getByText(notice)).toBeInTheDocument();
    expect(placeOrderButton()).toHaveAccessibleDescription(notice);
  });

  it('says how many lines are beyond stock', async () => {
    installFakeApi(shopRoutes());
    putInCart([
      { sku: 'LMP-011', quantity: 21 },
      { sku: 'BLK-012', quantity: 16 },
    ]);
    renderShop('/checkout');

    const notice = '2 items are more than we have in stock now: this order would be rejected unless more arrives.';
    expect(await screen.findByText(notice)).toBeInTheDocument();
    expect(placeOrderButton()).toHaveAccessibleDescription(notice);
    expect(within(document.getElementById('line-LMP-011')!).getByText(/^Only 20 in stock right now/)).toBeInTheDocument();
  });

  it('says stock is checked later while inventory cannot be reached', async () => {
    installFakeApi({ ...shopRoutes(), 'GET /api/stock': networkError });
    putInCart([{ sku: 'BLK-012', quantity: 20 }]);
    renderShop('/checkout');

    const notice = 'We cannot see stock levels just now: stock is checked later, when your order is reserved.';
    expect(await screen.findByText(notice)).toBeInTheDocument();
    expect(placeOrderButton()).toHaveAccessibleDescription(notice);
    expect(screen.queryByText(/more than we have in stock/)).not.toBeInTheDocument();
  });

  it('names no total on the button while the catalog is loading, never $0.00', async () => {
    let answer: (response: Response) => void = () => {};
    installFakeApi({ ...shopRoutes(), 'GET /api/products': () => new Promise<Response>((resolve) => (answer = resolve)) });
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    renderShop('/checkout');

    expect(await screen.findByRole('button', { name: 'Place order' })).toBeEnabled();
    const review = screen.getByRole('region', { name: 'Your order' });
    expect(within(review).getByText('Total').nextSibling).toHaveTextContent('Prices not loaded yet');
    expect(screen.queryByText(/\$0\.00/)).not.toBeInTheDocument();

    answer(json(PRODUCTS));

    expect(await screen.findByRole('button', { name: 'Place order · $36.00' })).toBeInTheDocument();
    expect(within(review).getByText('Total').nextSibling).toHaveTextContent('$36.00');
  });

  it("places the server's 4xx issues on the field and the line they name", async () => {
    installFakeApi({
      ...shopRoutes(),
      'POST /api/orders': () =>
        json(
          {
            statusCode: 400,
            error: 'Bad Request',
            message: 'customer.email: is on a blocklist; lines.1.quantity: must be at most 100',
            issues: [
              { field: 'customer.email', message: 'is on a blocklist' },
              { field: 'lines.1.quantity', message: 'must be at most 100' },
            ],
          },
          400,
        ),
    });
    putInCart([
      { sku: 'MUG-001', quantity: 1 },
      { sku: 'BLK-012', quantity: 3 },
    ]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'ada@example.com');
    await user.click(placeOrderButton());

    expect(await screen.findByText('Email is on a blocklist', { selector: '.field__error' })).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
    const blanketLine = document.getElementById('line-BLK-012')!;
    expect(within(blanketLine).getByText('Quantity of Wool Blanket must be at most 100')).toBeInTheDocument();
    expect(screen.getByLabelText('Name')).not.toHaveAttribute('aria-invalid');
  });

  it('shows a 4xx without field issues at the top of the form', async () => {
    installFakeApi({
      ...shopRoutes(),
      'POST /api/orders': () =>
        json({ statusCode: 422, error: 'Unprocessable Entity', message: 'This Idempotency-Key was already used for a different order' }, 422),
    });
    putInCart([{ sku: 'MUG-001', quantity: 1 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'ada@example.com');
    await user.click(placeOrderButton());

    const summary = (await screen.findByRole('heading', { name: 'There is a problem' })).parentElement!;
    expect(summary).toHaveTextContent('This Idempotency-Key was already used for a different order');
  });

  it('retries with the same Idempotency-Key after a network error, so at most one order exists', async () => {
    let attempts = 0;
    const api = installFakeApi({
      ...shopRoutes(),
      'POST /api/orders': (request) => {
        attempts += 1;
        return attempts === 1 ? networkError(request) : json(pendingOrder(), 201);
      },
      'GET /api/orders/0b7f3d4e-58a1-4c39-9a6e-1f0d2c3b4a59': () => json(pendingOrder()),
    });
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'Ada@Example.com');
    await user.click(placeOrderButton());
    expect(await screen.findByText(/We could not reach the shop, so your order may not have arrived/)).toBeInTheDocument();

    await user.click(placeOrderButton());

    expect(await screen.findByRole('heading', { name: /Thank you for your order/ })).toBeInTheDocument();
    const [first, second] = api.posts();
    expect(first.headers.get('idempotency-key')).toMatch(UUID);
    expect(second.headers.get('idempotency-key')).toBe(first.headers.get('idempotency-key'));
    expect(second.body).toEqual({ customer: { name: 'Ada Lovelace', email: 'ada@example.com' }, lines: [{ sku: 'MUG-001', quantity: 2 }] });
    expect(screen.getByRole('link', { name: 'Cart, 0 items' })).toBeInTheDocument();
  });

  it('disables the button while the order is being placed', async () => {
    let answer: (response: Response) => void = () => {};
    const api = installFakeApi({
      ...shopRoutes(),
      'POST /api/orders': () => new Promise<Response>((resolve) => (answer = resolve)),
      'GET /api/orders/0b7f3d4e-58a1-4c39-9a6e-1f0d2c3b4a59': () => json(pendingOrder()),
    });
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'ada@example.com');
    await user.dblClick(placeOrderButton());

    expect(screen.getByRole('button', { name: 'Placing your order…' })).toBeDisabled();
    answer(json(pendingOrder(), 201));
    expect(await screen.findByRole('heading', { name: /Thank you for your order/ })).toBeInTheDocument();
    await waitFor(() => expect(api.posts()).toHaveLength(1));
  });
});
