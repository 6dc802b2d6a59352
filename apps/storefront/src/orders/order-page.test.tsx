import { queryKeys } from '../api/queries';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { act } from 'react';
import type { OrderEmailKind, OrderStatusEvent, OrderView, SentEmailView } from '@shop/contracts';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '../test/fake-event-source';
import { ORDER_EMAIL_RETRY_DELAYS_MS } from '../api/queries';
import { installFakeApi, json, networkError, productBySku, shopperStatus, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';
import { recordPlacedOrder } from './placed-orders';
import { NEEDS_A_PERSON } from './status-timeline';

const ORDER_ID = '5d6c1a2b-3e4f-4a5b-8c7d-9e0f1a2b3c4d';
const PLACED_AT = '2030-05-01T10:00:00.000Z';

function order(): OrderView {
  const blanket = productBySku('BLK-012');
  return {
    id: ORDER_ID,
    status: 'PENDING',
    statusReason: null,
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: [{ sku: blanket.sku, name: blanket.name, quantity: 20, unitPriceCents: blanket.priceCents }],
    totalCents: blanket.priceCents * 20,
    payment: null,
    stockReleased: false,
    cancellable: true,
    createdAt: PLACED_AT,
    updatedAt: PLACED_AT,
  };
}

function statusEvent(
  status: OrderStatusEvent['status'],
  statusReason: string | null,
  updatedAt: string,
  more: Partial<Pick<OrderStatusEvent, 'payment' | 'stockReleased' | 'cancellable'>> = {},
): OrderStatusEvent {
  const cancellable = status === 'PENDING' || status === 'RESERVED' || status === 'CONFIRMED';
  return { orderId: ORDER_ID, status, statusReason, payment: null, stockReleased: false, cancellable, updatedAt, ...more };
}

async function openOrderPage(confirmations: 'prompt' | 'delayed' = 'prompt', routes: Parameters<typeof installFakeApi>[0] = {}) {
  const api = installFakeApi({
    ...shopRoutes(),
    'GET /api/system/status': () => json(shopperStatus(confirmations)),
    [`GET /api/orders/${ORDER_ID}`]: () => json(order()),
    ...routes,
  });
  renderShop(`/orders/${ORDER_ID}`);
  const headline = await screen.findByText('Your order is accepted and waiting for confirmation.');
  const stream = FakeEventSource.latest();
  act(() => {
    stream.open();
    stream.emit(statusEvent('PENDING', null, PLACED_AT));
  });
  return { headline, stream, api };
}

const timeline = () => screen.getByRole('list', { name: 'Order progress' });

describe('order page', () => {
  beforeEach(() => FakeEventSource.install());

  it('turns the timeline to confirmed when the server sends the event, without reloading', async () => {
    const { headline, stream } = await openOrderPage();
    expect(stream.url).toBe(`/api/orders/${ORDER_ID}/events`);
    expect(within(timeline()).getByText('Stock reserved').closest('li')).toHaveAttribute('aria-current', 'step');

    act(() => stream.emit(statusEvent('CONFIRMED', null, '2030-05-01T10:00:03.000Z', { payment: { status: 'authorized', reason: null } })));

    expect(headline).toHaveTextContent('Your order is confirmed.');
    expect(headline).toHaveAttribute('role', 'status');
    expect(within(timeline()).getByText('Confirmed')).toHaveTextContent('Confirmed (completed)');
    expect(within(timeline()).queryByRole('listitem', { current: 'step' })).not.toBeInTheDocument();
    expect(stream.readyState).toBe(FakeEventSource.CLOSED);
  });

  it('shows a stock rejection in plain words: the product that is out of stock, and what to do', async () => {
    const { headline, stream } = await openOrderPage();

    act(() => stream.emit(statusEvent('REJECTED', 'BLK-012 is out of stock: 20 requested, 15 available', '2030-05-01T10:00:02.000Z')));

    const plain = 'Wool Blanket (BLK-012) is out of stock: 20 requested, 15 available.';
    expect(headline).toHaveTextContent(`Sorry, we could not confirm your order: ${plain}`);
    expect(within(timeline()).getByText(plain).closest('li')).toHaveTextContent('Stock reserved (not completed)');
    expect(within(timeline()).queryByText(/Payment authorized/)).not.toBeInTheDocument();
    expect(screen.getByText(/Nothing was reserved and nothing was charged/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel order' })).not.toBeInTheDocument();
  });

  it('puts the items of a rejected order back into the emptied cart', async () => {
    const { stream } = await openOrderPage();
    act(() => stream.emit(statusEvent('REJECTED', 'BLK-012 is out of stock', '2030-05-01T10:00:02.000Z')));

    await userEvent.click(screen.getByRole('button', { name: 'Put these items back in my cart' }));

    expect(await screen.findByRole('spinbutton', { name: 'Quantity of Wool Blanket' })).toHaveValue(20);
    expect(screen.getByRole('link', { name: 'Cart, 20 items' })).toBeInTheDocument();
  });

  it('tells the shopper a person will look at an order that stopped moving while the shop runs on time, and nothing contradicts it', async () => {
    const placedLongAgo = new Date(Date.now() - 10 * 60_000).toISOString();
    installFakeApi({
      ...shopRoutes(),
      'GET /api/system/status': () => json(shopperStatus('prompt')),
      [`GET /api/orders/${ORDER_ID}`]: () => json({ ...order(), createdAt: placedLongAgo, updatedAt: placedLongAgo }),
    });
    renderShop(`/orders/${ORDER_ID}`);

    expect(await within(await screen.findByRole('list', { name: 'Order progress' })).findByText(NEEDS_A_PERSON)).toBeInTheDocument();
    expect(screen.queryByText(/This usually takes a few seconds/)).not.toBeInTheDocument();
    expect(screen.queryByText(/taking longer than usual/)).not.toBeInTheDocument();
  });

  it('tells the shopper a person will look at an order whose payment has not been answered for long (RESERVED past the threshold)', async () => {
    const longAgo = new Date(Date.now() - 10 * 60_000).toISOString();
    installFakeApi({
      ...shopRoutes(),
      'GET /api/system/status': () => json(shopperStatus('prompt')),
      [`GET /api/orders/${ORDER_ID}`]: () => json({ ...order(), status: 'RESERVED', createdAt: longAgo, updatedAt: longAgo }),
    });
    renderShop(`/orders/${ORDER_ID}`);

    expect(await within(await screen.findByRole('list', { name: 'Order progress' })).findByText(NEEDS_A_PERSON)).toBeInTheDocument();
    expect(screen.queryByText(/We are asking your card for the amount/)).not.toBeInTheDocument();
  });

  it('says nothing of a person for an order placed within the threshold', async () => {
    await openOrderPage('prompt');
    expect(await within(timeline()).findByText(/This usually takes a few seconds/)).toBeInTheDocument();
    expect(screen.queryByText(NEEDS_A_PERSON)).not.toBeInTheDocument();
  });

  it('reassures the shopper while confirmations run late', async () => {
    await openOrderPage('delayed');

    expect(await within(timeline()).findByText(/This is taking longer than usual right now/)).toHaveTextContent(
      'Your order is safe and will be confirmed automatically; there is nothing you need to do.',
    );
  });

  it("clears the strip's late-confirmations sentence on the confirmed event, before the status is asked again", async () => {
    // The first status answer says delayed; the refetch the event triggers is held, so only the event can clear the strip.
    let heldRefetch: ((response: Response) => void) | null = null;
    let asked = 0;
    const { headline, stream } = await openOrderPage('prompt', {
      'GET /api/system/status': () => (++asked === 1 ? json(shopperStatus('delayed')) : new Promise<Response>((resolve) => (heldRefetch = resolve))),
    });
    const late = /Order confirmations are running late right now/;
    expect(await screen.findByText(late)).toBeInTheDocument();

    act(() => stream.emit(statusEvent('CONFIRMED', null, '2030-05-01T10:00:03.000Z')));

    expect(headline).toHaveTextContent('Your order is confirmed.');
    await waitFor(() => expect(screen.queryByText(late)).not.toBeInTheDocument());
    expect(screen.getByRole('status', { name: 'Shop status' })).toBeEmptyDOMElement();
    expect(heldRefetch).not.toBeNull();

    // The refetch has the last word: were the shop still late, the sentence would come back.
    act(() => heldRefetch!(json(shopperStatus('delayed'))));
    expect(await screen.findByText(late)).toBeInTheDocument();
  });

  it('ignores a replayed event older than what is shown', async () => {
    const { headline, stream } = await openOrderPage();
    act(() => stream.emit(statusEvent('RESERVED', null, '2030-05-01T10:00:02.000Z')));
    act(() => stream.emit(statusEvent('PENDING', null, PLACED_AT)));
    await waitFor(() => expect(within(timeline()).getByText('Payment authorized').closest('li')).toHaveAttribute('aria-current', 'step'));
    act(() => stream.emit(statusEvent('CONFIRMED', null, '2030-05-01T10:00:03.000Z')));
    act(() => stream.emit(statusEvent('RESERVED', null, '2030-05-01T10:00:02.000Z')));

    expect(headline).toHaveTextContent('Your order is confirmed.');
  });
});

describe('order page: the email about the outcome', () => {
  beforeEach(() => FakeEventSource.install());

  const NOTIFICATIONS = `/api/notifications/orders/${ORDER_ID}`;
  const sent = (kind: OrderEmailKind): SentEmailView => ({ kind, recipient: 'ada@example.com', sentAt: '2030-05-01T10:00:04.000Z' });
  const notificationRequests = (api: ReturnType<typeof installFakeApi>) => api.requests.filter((request) => new URL(request.url).pathname === NOTIFICATIONS);

  it('says the confirmation was emailed once notification-service lists it, then stops asking', async () => {
    let answers = 0;
    const { stream, api } = await openOrderPage('prompt', {
      // The email goes out shortly after the status changes: the first answer does not list it yet.
      [`GET ${NOTIFICATIONS}`]: () => json(answers++ === 0 ? [sent('received')] : [sent('received'), sent('confirmed')]),
    });
    expect(notificationRequests(api)).toHaveLength(0); // nothing to tell while the order is pending

    act(() => stream.emit(statusEvent('CONFIRMED', null, '2030-05-01T10:00:03.000Z')));

    const note = await screen.findByText('We emailed the confirmation to ada@example.com.', {}, { timeout: 4_000 });
    expect(note).toHaveAttribute('role', 'status');
    expect(notificationRequests(api)).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(notificationRequests(api)).toHaveLength(2);
  });

  it('says the shopper was emailed about a rejection', async () => {
    const { stream } = await openOrderPage('prompt', { [`GET ${NOTIFICATIONS}`]: () => json([sent('received'), sent('rejected')]) });

    act(() => stream.emit(statusEvent('REJECTED', 'BLK-012 is out of stock', '2030-05-01T10:00:02.000Z')));

    expect(await screen.findByText('We emailed ada@example.com about it.')).toHaveAttribute('role', 'status');
    expect(screen.queryByText(/We emailed the confirmation/)).not.toBeInTheDocument();
  });

  it.each([
    ['a 503', () => json({ statusCode: 503, error: 'Service Unavailable', message: 'notification-service is not reachable right now' }, 503)],
    ['a 404', () => json({ statusCode: 404, error: 'Not Found', message: 'Cannot GET' }, 404)],
    ['a network error', networkError],
  ])('says nothing about an email when notification-service answers %s, and the order page stays whole', async (_, answer) => {
    const { headline, stream, api } = await openOrderPage('prompt', { [`GET ${NOTIFICATIONS}`]: answer });

    act(() => stream.emit(statusEvent('CONFIRMED', null, '2030-05-01T10:00:03.000Z')));

    // It asks again after a second, in case the failure passes; still nothing to say.
    await waitFor(() => expect(notificationRequests(api)).toHaveLength(2), { timeout: 3_000 });
    expect(screen.queryByText(/We emailed/)).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(headline).toHaveTextContent('Your order is confirmed.');
    expect(screen.getByRole('heading', { name: 'Details' })).toBeInTheDocument();
    expect(within(timeline()).getByText('Confirmed')).toHaveTextContent('Confirmed (completed)');
  });

  it('gives up after a bounded number of tries when the email never shows up', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const { stream, api } = await openOrderPage('prompt', { [`GET ${NOTIFICATIONS}`]: () => json([sent('received')]) });
      act(() => stream.emit(statusEvent('CONFIRMED', null, '2030-05-01T10:00:03.000Z')));

      await act(() => vi.advanceTimersByTimeAsync(10 * 60_000));

      expect(notificationRequests(api)).toHaveLength(1 + ORDER_EMAIL_RETRY_DELAYS_MS.length);
      expect(screen.queryByText(/We emailed/)).not.toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('order page: payment', () => {
  beforeEach(() => FakeEventSource.install());

  it('shows each step as it happens: stock reserved, then payment being authorized, then confirmed', async () => {
    const { headline, stream } = await openOrderPage();
    const stateOf = (title: string) => within(timeline()).getByText(title).closest('li')!.className.replace('timeline__step timeline__step--', '');
    const states = () => ['Order received', 'Stock reserved', 'Payment authorized', 'Confirmed'].map(stateOf);
    expect(states()).toEqual(['done', 'current', 'upcoming', 'upcoming']);

    act(() => stream.emit(statusEvent('RESERVED', null, '2030-05-01T10:00:01.000Z')));
    await waitFor(() => expect(states()).toEqual(['done', 'done', 'current', 'upcoming']));
    expect(headline).toHaveTextContent('Your order is accepted and waiting for confirmation.');
    expect(within(timeline()).getByText('Payment authorized')).toHaveTextContent('Payment authorized (in progress)');
    expect(stream.readyState).not.toBe(FakeEventSource.CLOSED);

    act(() => stream.emit(statusEvent('CONFIRMED', null, '2030-05-01T10:00:02.000Z', { payment: { status: 'authorized', reason: null } })));
    expect(states()).toEqual(['done', 'done', 'done', 'done']);
  });

  it("shows a declined card with the provider's reason, then says to try another card once the items were put back", async () => {
    const { headline, stream } = await openOrderPage();
    act(() => stream.emit(statusEvent('RESERVED', null, '2030-05-01T10:00:01.000Z')));

    const declined = { payment: { status: 'declined' as const, reason: 'Your card has insufficient funds.' } };
    act(() => stream.emit(statusEvent('REJECTED', 'payment declined: insufficient_funds', '2030-05-01T10:00:02.000Z', declined)));

    await waitFor(() => expect(headline).toHaveTextContent('Sorry, your payment was declined: Your card has insufficient funds.'));
    expect(within(timeline()).getByText('Your card has insufficient funds.').closest('li')).toHaveTextContent('Payment authorized (not completed)');
    expect(screen.getByText('Your card was not charged. We are putting your items back…')).toBeInTheDocument();
    expect(stream.readyState).not.toBe(FakeEventSource.CLOSED);

    act(() => stream.emit(statusEvent('REJECTED', 'payment declined: insufficient_funds', '2030-05-01T10:00:03.000Z', { ...declined, stockReleased: true })));

    expect(screen.getByText('Try another card — your items were put back.')).toBeInTheDocument();
    expect(stream.readyState).toBe(FakeEventSource.CLOSED);
    await userEvent.click(screen.getByRole('button', { name: 'Try another card' }));
    expect(await screen.findByLabelText('Card number')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Cart, 20 items' })).toBeInTheDocument();
  });
});

describe('order page: cancelling', () => {
  beforeEach(() => FakeEventSource.install());

  const CANCEL_TOKEN = 'c4nc3l-t0k3n-0123456789abcdef';
  const CANCEL = `POST /api/orders/${ORDER_ID}/cancel`;
  const confirmed = (): OrderView => ({
    ...order(),
    status: 'CONFIRMED',
    payment: { status: 'captured', reason: null },
    updatedAt: '2030-05-01T10:00:03.000Z',
  });
  const cancelled = (payment: OrderView['payment']): OrderView => ({
    ...confirmed(),
    status: 'CANCELLED',
    payment,
    cancellable: false,
    updatedAt: '2030-05-01T10:05:00.000Z',
  });
  const cancelRequests = (api: ReturnType<typeof installFakeApi>) =>
    api.requests.filter((request) => request.method === 'POST' && new URL(request.url).pathname === `/api/orders/${ORDER_ID}/cancel`);

  /** The order page of an order placed from this browser (its cancelToken kept), answered as `current`. */
  async function openPlacedOrder(current: OrderView, routes: Parameters<typeof installFakeApi>[0] = {}) {
    recordPlacedOrder({ id: ORDER_ID, createdAt: PLACED_AT, cancelToken: CANCEL_TOKEN });
    const api = installFakeApi({ ...shopRoutes(), [`GET /api/orders/${ORDER_ID}`]: () => json(current), ...routes });
    const view = renderShop(`/orders/${ORDER_ID}`);
    await screen.findByRole('heading', { name: 'Details' });
    return { api, user: view.user };
  }

  const orderHeadline = () => document.querySelector('.order-headline')!;

  it('cancels after a confirm step, with the cancel token, then shows the refund once it is done', async () => {
    const { api, user } = await openPlacedOrder(confirmed(), { [CANCEL]: () => json(cancelled({ status: 'captured', reason: null })) });

    await user.click(screen.getByRole('button', { name: 'Cancel order' }));
    // Nothing is cancelled by the first click: a confirm step asks, and takes focus.
    const confirm = screen.getByRole('region', { name: 'Cancel this order?' });
    expect(within(confirm).getByRole('heading', { name: 'Cancel this order?' })).toHaveFocus();
    expect(confirm).toHaveTextContent('Your items go back on the shelf and the payment is refunded to your card.');
    expect(cancelRequests(api)).toHaveLength(0);

    await user.click(within(confirm).getByRole('button', { name: 'Yes, cancel this order' }));

    await waitFor(() => expect(orderHeadline()).toHaveTextContent('Your order is cancelled. Returning your payment…'));
    expect(orderHeadline()).toHaveAttribute('role', 'status');
    expect(orderHeadline()).toHaveFocus();
    const [request] = cancelRequests(api);
    expect(request.headers.get('cancel-token')).toBe(CANCEL_TOKEN);
    expect(screen.queryByRole('button', { name: 'Cancel order' })).not.toBeInTheDocument();
    expect(within(timeline()).getByText('Cancelled').closest('li')).toHaveTextContent('Returning your payment…');

    // The money is still on its way back: the page listens until the refund is reported.
    const stream = FakeEventSource.latest();
    act(() =>
      stream.emit({ ...statusEvent('CANCELLED', null, '2030-05-01T10:05:02.000Z', { payment: { status: 'refunded', reason: null }, stockReleased: true }) }),
    );

    expect(orderHeadline()).toHaveTextContent('Your order is cancelled. Refunded to your card.');
    expect(within(timeline()).getByText('Refunded to your card.')).toBeInTheDocument();
    expect(stream.readyState).toBe(FakeEventSource.CLOSED);
  });

  it('says the hold on the card was released once the authorization of an order cancelled before its capture is voided', async () => {
    const reserved: OrderView = { ...order(), status: 'RESERVED', payment: { status: 'authorized', reason: null }, updatedAt: '2030-05-01T10:00:01.000Z' };
    const { user } = await openPlacedOrder(reserved, { [CANCEL]: () => json(cancelled({ status: 'authorized', reason: null })) });

    await user.click(screen.getByRole('button', { name: 'Cancel order' }));
    expect(screen.getByRole('region', { name: 'Cancel this order?' })).toHaveTextContent('any hold on your card is released');
    await user.click(screen.getByRole('button', { name: 'Yes, cancel this order' }));
    await waitFor(() => expect(orderHeadline()).toHaveTextContent('Your order is cancelled. Returning your payment…'));

    act(() => FakeEventSource.latest().emit(statusEvent('CANCELLED', null, '2030-05-01T10:05:01.000Z', { payment: { status: 'voided', reason: null } })));

    expect(orderHeadline()).toHaveTextContent('Your order is cancelled. The hold on your card was released.');
    expect(within(timeline()).getByText('Cancelled').closest('li')).toHaveTextContent('The hold on your card was released.');
  });

  it('says nothing was charged when the order was cancelled before any payment', async () => {
    const { user } = await openPlacedOrder(order(), { [CANCEL]: () => json({ ...cancelled(null), stockReleased: true }) });

    await user.click(screen.getByRole('button', { name: 'Cancel order' }));
    await user.click(screen.getByRole('button', { name: 'Yes, cancel this order' }));

    await waitFor(() => expect(orderHeadline()).toHaveTextContent('Your order is cancelled. Nothing was charged to your card.'));
  });

  it('keeps the order when the shopper says so, and gives focus back to the button', async () => {
    const { api, user } = await openPlacedOrder(confirmed());

    await user.click(screen.getByRole('button', { name: 'Cancel order' }));
    await user.click(screen.getByRole('button', { name: 'Keep my order' }));

    expect(screen.queryByRole('region', { name: 'Cancel this order?' })).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Cancel order' })).toHaveFocus());
    expect(cancelRequests(api)).toHaveLength(0);
  });

  it('says an order that moved on can no longer be cancelled (409), and shows it as it now stands', async () => {
    let current = confirmed();
    const { user } = await openPlacedOrder(confirmed(), {
      [`GET /api/orders/${ORDER_ID}`]: () => json(current),
      [CANCEL]: () => {
        current = cancelled({ status: 'refunded', reason: null });
        return json({ statusCode: 409, error: 'Conflict', message: 'order is CANCELLED: it can no longer be cancelled' }, 409);
      },
    });

    await user.click(screen.getByRole('button', { name: 'Cancel order' }));
    await user.click(screen.getByRole('button', { name: 'Yes, cancel this order' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('This order can no longer be cancelled.');
    await waitFor(() => expect(orderHeadline()).toHaveTextContent('Your order is cancelled. Refunded to your card.'));
    expect(screen.getByRole('alert')).toHaveTextContent('This order can no longer be cancelled.');
  });

  it("cancels an order of the signed-in shopper's email with the session alone", async () => {
    const api = installFakeApi({
      ...shopRoutes(),
      [`GET /api/orders/${ORDER_ID}`]: () => json(confirmed()),
      'GET /api/sessions/current': () => json({ email: 'ada@example.com', expiresAt: '2030-06-01T00:00:00.000Z' }),
      [CANCEL]: () => json(cancelled({ status: 'captured', reason: null })),
    });
    // Signed in earlier in this visit (My orders found the session), so the page asks for it again.
    const { user } = renderShop(`/orders/${ORDER_ID}`, (client) =>
      client.setQueryData(queryKeys.session, { email: 'ada@example.com', expiresAt: '2030-06-01T00:00:00.000Z' }),
    );

    await user.click(await screen.findByRole('button', { name: 'Cancel order' }));
    await user.click(screen.getByRole('button', { name: 'Yes, cancel this order' }));

    await waitFor(() => expect(orderHeadline()).toHaveTextContent('Your order is cancelled.'));
    const [request] = cancelRequests(api);
    expect(request.headers.has('cancel-token')).toBe(false);
  });

  it('offers no button to a browser that holds no capability, and says how to get one, without asking for a session it never had', async () => {
    const api = installFakeApi({
      ...shopRoutes(),
      [`GET /api/orders/${ORDER_ID}`]: () => json(confirmed()),
      'GET /api/sessions/current': () => json({ statusCode: 401, error: 'Unauthorized', message: 'no session' }, 401),
    });
    renderShop(`/orders/${ORDER_ID}`);

    expect(await screen.findByText(/To cancel this order, open it in the browser that placed it/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel order' })).not.toBeInTheDocument();
    // A 401 for every visitor would be an error in every browser console (the README demo checks the console).
    expect(api.requests.filter((request) => new URL(request.url).pathname === '/api/sessions/current')).toEqual([]);
  });
});
