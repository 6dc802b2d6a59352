import { screen, waitFor, within } from '@testing-library/react';
import { TEST_CARDS, type OrderView, type PlacedOrderView } from '@shop/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadPlacedOrders } from '../orders/placed-orders';
import { CART_STORAGE_KEY } from '../cart/cart-storage';
import { FakeEventSource } from '../test/fake-event-source';
import { installFakeApi, json, networkError, PRODUCTS, productBySku, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function putInCart(lines: { sku: string; quantity: number }[]) {
  window.localStorage.setItem(CART_STORAGE_KEY, JSON.stringify(lines));
}

const CANCEL_TOKEN = 'c4nc3l-t0k3n-0123456789abcdef';
const TOKENS = 'POST /payment-provider/v1/tokens';

/** The provider's answer for any card it accepts. */
const tokenized =
  (token = 'tok_1a2b3c') =>
  () =>
    json({ token, brand: 'visa', last4: '4242' }, 201);

/** The 201 of POST /api/orders: the order and its cancel capability. */
const placed = (): PlacedOrderView => ({ ...pendingOrder(), cancelToken: CANCEL_TOKEN });

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
    payment: null,
    stockReleased: false,
    cancellable: true,
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

async function fillCard(user: ReturnType<typeof renderShop>['user'], number = '4242 4242 4242 4242', expiry = '12/34', cvc = '123') {
  for (const [label, value] of [
    ['Card number', number],
    ['Expiry date', expiry],
    ['Security code (CVC)', cvc],
  ]) {
    const field = screen.getByLabelText(label);
    await user.clear(field);
    if (value) await user.type(field, value);
  }
}

const placeOrderButton = () => screen.getByRole('button', { name: /Place order/ });
const orderPosts = (api: ReturnType<typeof installFakeApi>) => api.posts().filter((request) => new URL(request.url).pathname === '/api/orders');
const tokenPosts = (api: ReturnType<typeof installFakeApi>) => api.posts().filter((request) => new URL(request.url).pathname === '/payment-provider/v1/tokens');

describe('checkout', () => {
  beforeEach(() => FakeEventSource.install());
  afterEach(() => vi.unstubAllEnvs());

  it('shows the shared schema messages beside each field, focuses the summary and sends nothing', async () => {
    const api = installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, '', 'ada@example');
    await fillCard(user);
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
      [TOKENS]: tokenized(),
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
    await fillCard(user);
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
      [TOKENS]: tokenized(),
      'POST /api/orders': () =>
        json({ statusCode: 422, error: 'Unprocessable Entity', message: 'This Idempotency-Key was already used for a different order' }, 422),
    });
    putInCart([{ sku: 'MUG-001', quantity: 1 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'ada@example.com');
    await fillCard(user);
    await user.click(placeOrderButton());

    const summary = (await screen.findByRole('heading', { name: 'There is a problem' })).parentElement!;
    expect(summary).toHaveTextContent('This Idempotency-Key was already used for a different order');
  });

  it('retries with the same Idempotency-Key after a network error, so at most one order exists', async () => {
    let attempts = 0;
    const api = installFakeApi({
      ...shopRoutes(),
      [TOKENS]: tokenized(),
      'POST /api/orders': (request) => {
        attempts += 1;
        return attempts === 1 ? networkError(request) : json(placed(), 201);
      },
      'GET /api/orders/0b7f3d4e-58a1-4c39-9a6e-1f0d2c3b4a59': () => json(pendingOrder()),
    });
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'Ada@Example.com');
    await fillCard(user);
    await user.click(placeOrderButton());
    expect(await screen.findByText(/We could not reach the shop, so your order may not have arrived/)).toBeInTheDocument();

    await user.click(placeOrderButton());

    expect(await screen.findByRole('heading', { name: /Thank you for your order/ })).toBeInTheDocument();
    const [first, second] = orderPosts(api);
    expect(first.headers.get('idempotency-key')).toMatch(UUID);
    expect(second.headers.get('idempotency-key')).toBe(first.headers.get('idempotency-key'));
    // The same card's token again: the retried body is the first one, byte for byte.
    expect(tokenPosts(api)).toHaveLength(1);
    expect(second.body).toEqual(first.body);
    expect(second.body).toEqual({
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      lines: [{ sku: 'MUG-001', quantity: 2 }],
      payment: { token: 'tok_1a2b3c' },
    });
    expect(screen.getByRole('link', { name: 'Cart, 0 items' })).toBeInTheDocument();
  });

  it('disables the button while the order is being placed', async () => {
    let answer: (response: Response) => void = () => {};
    const api = installFakeApi({
      ...shopRoutes(),
      [TOKENS]: tokenized(),
      'POST /api/orders': () => new Promise<Response>((resolve) => (answer = resolve)),
      'GET /api/orders/0b7f3d4e-58a1-4c39-9a6e-1f0d2c3b4a59': () => json(pendingOrder()),
    });
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'ada@example.com');
    await fillCard(user);
    await user.dblClick(placeOrderButton());

    expect(screen.getByRole('button', { name: 'Placing your order…' })).toBeDisabled();
    answer(json(placed(), 201));
    expect(await screen.findByRole('heading', { name: /Thank you for your order/ })).toBeInTheDocument();
    await waitFor(() => expect(orderPosts(api)).toHaveLength(1));
    expect(tokenPosts(api)).toHaveLength(1);
  });
});

describe('checkout: paying by card', () => {
  beforeEach(() => FakeEventSource.install());
  afterEach(() => vi.unstubAllEnvs());

  it('turns the card into a token at the provider, then sends the order with the token and never the card', async () => {
    const api = installFakeApi({
      ...shopRoutes(),
      [TOKENS]: tokenized('tok_from_the_provider'),
      'POST /api/orders': () => json({ ...placed(), payment: null }, 201),
      'GET /api/orders/0b7f3d4e-58a1-4c39-9a6e-1f0d2c3b4a59': () => json(pendingOrder()),
    });
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'ada@example.com');
    await fillCard(user, '4242 4242 4242 4242', '04/31', '321');
    await user.click(placeOrderButton());

    expect(await screen.findByRole('heading', { name: /Thank you for your order/ })).toBeInTheDocument();
    expect(api.posts().map((request) => new URL(request.url).pathname)).toEqual(['/payment-provider/v1/tokens', '/api/orders']);
    expect(tokenPosts(api)[0].body).toEqual({ card: { number: '4242424242424242', expMonth: 4, expYear: 2031, cvc: '321' } });
    const [orderPost] = orderPosts(api);
    expect(orderPost.body).toEqual({
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      lines: [{ sku: 'MUG-001', quantity: 2 }],
      payment: { token: 'tok_from_the_provider' },
    });
    // Nothing of the card went to the shop, and nothing of it stays in the browser's storage.
    const everythingSentToTheShop = JSON.stringify(api.requests.filter((request) => new URL(request.url).pathname.startsWith('/api/')).map((r) => r.body));
    expect(everythingSentToTheShop).not.toMatch(/4242|321|04\/31/);
    expect(JSON.stringify({ ...window.localStorage })).not.toContain('4242424242424242');
    // The cancel capability is kept with the placed order, for its page.
    expect(loadPlacedOrders()).toEqual([{ id: pendingOrder().id, placedAt: expect.any(String), cancelToken: CANCEL_TOKEN }]);
  });

  it("shows the provider's refusal beside the card number, and places no order", async () => {
    const api = installFakeApi({
      ...shopRoutes(),
      [TOKENS]: () =>
        json(
          {
            statusCode: 422,
            error: 'Unprocessable Entity',
            code: 'invalid_card_number',
            message: 'card.number: is not a valid card number (it fails the Luhn check); check the digits',
            issues: [{ field: 'card.number', message: 'is not a valid card number (it fails the Luhn check); check the digits' }],
          },
          422,
        ),
    });
    putInCart([{ sku: 'MUG-001', quantity: 1 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'ada@example.com');
    await fillCard(user, '4242 4242 4242 4241');
    await user.click(placeOrderButton());

    const text = 'Card number is not a valid card number (it fails the Luhn check); check the digits';
    expect(await screen.findByText(text, { selector: '.field__error' })).toBeInTheDocument();
    expect(screen.getByLabelText('Card number')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Card number')).toHaveAccessibleDescription(`Error: ${text}`);
    const summary = screen.getByRole('heading', { name: 'There is a problem' }).parentElement!;
    expect(summary).toHaveFocus();
    expect(within(summary).getByRole('link', { name: text })).toHaveAttribute('href', '#card-number');
    expect(orderPosts(api)).toHaveLength(0);
  });

  it('shows a refusal of the card as a whole beside the card number, as the provider words it', async () => {
    installFakeApi({
      ...shopRoutes(),
      [TOKENS]: () =>
        json({ statusCode: 422, error: 'Unprocessable Entity', code: 'expired_card', message: 'The card has expired; check the expiry date' }, 422),
    });
    putInCart([{ sku: 'MUG-001', quantity: 1 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'ada@example.com');
    await fillCard(user);
    await user.click(placeOrderButton());

    expect(await screen.findByText('The card has expired; check the expiry date', { selector: '.field__error' })).toBeInTheDocument();
    expect(screen.getByLabelText('Card number')).toHaveAttribute('aria-invalid', 'true');
  });

  it('says the card processor could not be reached, and that no order was placed', async () => {
    const api = installFakeApi({ ...shopRoutes(), [TOKENS]: networkError });
    putInCart([{ sku: 'MUG-001', quantity: 1 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'ada@example.com');
    await fillCard(user);
    await user.click(placeOrderButton());

    expect(await screen.findByText(/We could not reach the card processor just now, so no order was placed/)).toBeInTheDocument();
    expect(orderPosts(api)).toHaveLength(0);
  });

  it('checks the card fields before asking the provider', async () => {
    const api = installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 1 }]);
    const { user } = renderShop('/checkout');

    await fillDetails(user, 'Ada Lovelace', 'ada@example.com');
    await fillCard(user, '4242', '13/30', '');
    await user.click(placeOrderButton());

    expect(screen.getByLabelText('Card number')).toHaveAccessibleDescription('Error: Card number must be 12 to 19 digits');
    expect(screen.getByLabelText('Expiry date')).toHaveAccessibleDescription('MM/YY Error: Expiry date must be a month and year such as 04/29');
    expect(screen.getByLabelText('Security code (CVC)')).toHaveAccessibleDescription('Error: Security code is required');
    expect(screen.getByRole('heading', { name: 'There are 3 problems' })).toBeInTheDocument();
    expect(api.posts()).toHaveLength(0);
  });

  it('names the card fields for autofill, with a numeric keypad', async () => {
    installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 1 }]);
    renderShop('/checkout');

    const expected = { 'Card number': 'cc-number', 'Expiry date': 'cc-exp', 'Security code (CVC)': 'cc-csc' };
    for (const [label, autocomplete] of Object.entries(expected)) {
      const field = await screen.findByLabelText(label);
      expect(field).toHaveAttribute('autocomplete', autocomplete);
      expect(field).toHaveAttribute('inputmode', 'numeric');
    }
  });

  it('lists the test cards in development, each with what it does, and fills one in', async () => {
    installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 1 }]);
    const { user } = renderShop('/checkout');

    const list = within(await screen.findByRole('region', { name: 'Test cards' })).getAllByRole('listitem');
    expect(list.map((item) => item.textContent)).toEqual(TEST_CARDS.map((card) => `${card.number.replace(/(\d{4})(?=\d)/g, '$1 ')} ${card.behaviour}Use`));
    await user.click(screen.getByRole('button', { name: 'Use test card 4000 0000 0000 9995' }));

    expect(screen.getByLabelText('Card number')).toHaveValue('4000 0000 0000 9995');
    expect((screen.getByLabelText('Expiry date') as HTMLInputElement).value).toMatch(/^12\/\d{2}$/);
    expect(screen.getByLabelText('Security code (CVC)')).toHaveValue('123');
  });

  it('leaves the test cards out of a production build, unless built with VITE_SHOW_TEST_CARDS', async () => {
    vi.stubEnv('DEV', false);
    installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 1 }]);
    const first = renderShop('/checkout');
    expect(await screen.findByLabelText('Card number')).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Test cards' })).not.toBeInTheDocument();
    first.unmount();

    vi.stubEnv('VITE_SHOW_TEST_CARDS', 'true');
    renderShop('/checkout');
    expect(await screen.findByRole('region', { name: 'Test cards' })).toBeInTheDocument();
  });
});
