import { screen, within } from '@testing-library/react';
import type { OrderView } from '@shop/contracts';
import { describe, expect, it } from 'vitest';
import { installFakeApi, json, productBySku, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';

function order(id: string, status: OrderView['status']): OrderView {
  const cap = productBySku('CAP-003');
  return {
    id,
    status,
    statusReason: null,
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: [{ sku: cap.sku, name: cap.name, quantity: 2, unitPriceCents: cap.priceCents }],
    totalCents: cap.priceCents * 2,
    createdAt: '2030-05-01T10:00:00.000Z',
    updatedAt: '2030-05-01T10:00:00.000Z',
  };
}

describe('my orders', () => {
  it('looks orders up by email and updates a pending one while the shopper watches', async () => {
    let confirmed = false;
    const api = installFakeApi({
      ...shopRoutes(),
      'GET /api/orders': () => {
        const answer = json([
          order('aa11bb22-0000-4000-8000-000000000001', confirmed ? 'CONFIRMED' : 'PENDING'),
          order('cc33dd44-0000-4000-8000-000000000002', 'REJECTED'),
        ]);
        confirmed = true; // the next poll finds the first order confirmed
        return answer;
      },
    });
    const { user } = renderShop('/orders');

    await user.type(screen.getByLabelText('Email used at checkout'), ' Ada@Example.com ');
    await user.click(screen.getByRole('button', { name: 'Show orders' }));

    const first = (await screen.findByRole('link', { name: 'Order AA11BB22' })).closest('li')!;
    expect(within(first).getByText('Waiting for confirmation')).toBeInTheDocument();
    expect(screen.getByText('1 order waiting for confirmation; this list updates by itself.')).toHaveAttribute('role', 'status');
    expect(within(screen.getByRole('link', { name: 'Order CC33DD44' }).closest('li')!).getByText('Not confirmed')).toBeInTheDocument();
    expect(new URL(api.requests.find((request) => request.url.includes('/api/orders?'))!.url).searchParams.get('email')).toBe('ada@example.com');

    expect(await within(first).findByText('Confirmed', {}, { timeout: 5_000 })).toBeInTheDocument();
    expect(screen.getByText('2 orders, all settled.')).toBeInTheDocument();
  });

  it("shows the server's refusal of the email under the field", async () => {
    installFakeApi({
      ...shopRoutes(),
      'GET /api/orders': () =>
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
    renderShop('/orders?email=ada@');

    expect(await screen.findByText('Email must be a valid email address')).toBeInTheDocument();
    expect(screen.getByLabelText('Email used at checkout')).toHaveAttribute('aria-invalid', 'true');
  });
});
