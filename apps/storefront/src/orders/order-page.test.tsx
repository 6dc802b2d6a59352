import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { act } from 'react';
import type { OrderStatusEvent, OrderView } from '@shop/contracts';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeEventSource } from '../test/fake-event-source';
import { installFakeApi, json, productBySku, shopRoutes, systemStatus } from '../test/fake-api';
import { renderShop } from '../test/render-shop';

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

async function openOrderPage(inventoryOnline = true) {
  installFakeApi({
    ...shopRoutes(),
    'GET /api/system/status': () => json(systemStatus({ inventoryOnline })),
    [`GET /api/orders/${ORDER_ID}`]: () => json(order()),
  });
  renderShop(`/orders/${ORDER_ID}`);
  const headline = await screen.findByText('Your order is accepted and waiting for confirmation.');
  const stream = FakeEventSource.latest();
  act(() => {
    stream.open();
    stream.emit(statusEvent('PENDING', null, PLACED_AT));
  });
  return { headline, stream };
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

  it('reassures the shopper while inventory is offline', async () => {
    await openOrderPage(false);

    expect(await within(timeline()).findByText(/Our inventory system is offline for a moment/)).toHaveTextContent(
      'Your order is safe and will be confirmed automatically when it is back',
    );
  });

  it('ignores a replayed event older than what is shown', async () => {
    const { headline, stream } = await openOrderPage();
    act(() => stream.emit(statusEvent('CONFIRMED', null, '2030-05-01T10:00:03.000Z')));
    act(() => stream.emit(statusEvent('PENDING', null, PLACED_AT)));

    expect(headline).toHaveTextContent('Your order is confirmed.');
  });
});
