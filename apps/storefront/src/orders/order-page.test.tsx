import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { act } from 'react';
import type { OrderEmailKind, OrderStatusEvent, OrderView, SentEmailView } from '@shop/contracts';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '../test/fake-event-source';
import { ORDER_EMAIL_RETRY_DELAYS_MS } from '../api/queries';
import { installFakeApi, json, networkError, productBySku, shopperStatus, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';
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
    createdAt: PLACED_AT,
    updatedAt: PLACED_AT,
  };
}

function statusEvent(status: OrderStatusEvent['status'], statusReason: string | null, updatedAt: string): OrderStatusEvent {
  return { orderId: ORDER_ID, status, statusReason, updatedAt };
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
    expect(within(timeline()).getByText('Waiting for confirmation').closest('li')).toHaveAttribute('aria-current', 'step');

    act(() => stream.emit(statusEvent('CONFIRMED', null, '2030-05-01T10:00:03.000Z')));

    expect(headline).toHaveTextContent('Your order is confirmed.');
    expect(headline).toHaveAttribute('role', 'status');
    expect(within(timeline()).getByText('Confirmed')).toHaveTextContent('Confirmed (completed)');
    expect(within(timeline()).queryByText('Waiting for confirmation')).not.toBeInTheDocument();
    expect(stream.readyState).toBe(FakeEventSource.CLOSED);
  });

  it('shows a rejection with the reason naming the sku, and the product', async () => {
    const { headline, stream } = await openOrderPage();

    act(() => stream.emit(statusEvent('REJECTED', 'insufficient stock for BLK-012: 20 requested, 15 available', '2030-05-01T10:00:02.000Z')));

    expect(headline).toHaveTextContent('Sorry, we could not confirm your order.');
    expect(within(timeline()).getByText(/insufficient stock for BLK-012/)).toHaveTextContent(
      'insufficient stock for BLK-012: 20 requested, 15 available (Wool Blanket).',
    );
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
    act(() => stream.emit(statusEvent('CONFIRMED', null, '2030-05-01T10:00:03.000Z')));
    act(() => stream.emit(statusEvent('PENDING', null, PLACED_AT)));

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
