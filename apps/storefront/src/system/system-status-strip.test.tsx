import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installFakeApi, json, networkError, shopRoutes, shopperStatus } from '../test/fake-api';
import { renderShop } from '../test/render-shop';

const strip = () => screen.getByRole('status', { name: 'Shop status' });

describe('system status strip', () => {
  it('says nothing while confirmations are prompt, but stays mounted as a live region', async () => {
    const api = installFakeApi(shopRoutes());
    renderShop('/');

    await screen.findByRole('heading', { level: 1 });
    await expect.poll(() => api.requests.some((request) => request.url.endsWith('/api/system/status'))).toBe(true);
    expect(strip()).toBeEmptyDOMElement();
  });

  it('says that confirmations run late and that the order needs nothing from the shopper', async () => {
    installFakeApi({ ...shopRoutes(), 'GET /api/system/status': () => json(shopperStatus('delayed')) });
    renderShop('/');

    expect(
      await screen.findByText(
        "Order confirmations are running late right now. Your order is saved and will be confirmed by itself; you don't need to do anything.",
      ),
    ).toBeInTheDocument();
    expect(strip()).toHaveTextContent(/^Order confirmations are running late right now\./);
  });

  it('shows no figures, even when the answer carries some', async () => {
    const withFigures = {
      ...shopperStatus('delayed'),
      outbox: { backlog: 7, oldestAgeSeconds: 12 },
      inventory: { online: false, queueDepth: 3, consumers: 0 },
    };
    installFakeApi({ ...shopRoutes(), 'GET /api/system/status': () => json(withFigures) });
    renderShop('/');

    await screen.findByText(/Order confirmations are running late right now/);
    expect(strip()).not.toHaveTextContent(/\d|outbox|queue|inventory|consumer/i);
  });

  it('admits it when the shop itself cannot be reached', async () => {
    installFakeApi({ ...shopRoutes(), 'GET /api/system/status': networkError });
    renderShop('/');

    expect(await screen.findByText("We can't reach the shop right now; please try again in a moment.")).toBeInTheDocument();
  });
});
