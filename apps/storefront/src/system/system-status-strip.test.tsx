import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installFakeApi, json, networkError, shopRoutes, systemStatus } from '../test/fake-api';
import { renderShop } from '../test/render-shop';

const strip = () => screen.getByRole('region', { name: 'Shop status' });

describe('system status strip', () => {
  it('says in plain words that orders are accepted while inventory is offline', async () => {
    installFakeApi({
      ...shopRoutes(),
      'GET /api/system/status': () => json(systemStatus({ inventoryOnline: false, queueDepth: 3, backlog: 2 })),
    });
    renderShop('/');

    expect(
      await within(strip()).findByText(
        'Inventory is offline for a moment. Your orders are still accepted and will be confirmed automatically when it is back.',
      ),
    ).toHaveAttribute('role', 'status');
    expect(within(strip()).getByText('Inventory').nextSibling).toHaveTextContent('offline');
    expect(within(strip()).getByText('Orders waiting in the queue').nextSibling).toHaveTextContent('3');
    expect(within(strip()).getByText('Outbox backlog').nextSibling).toHaveTextContent('2 events, oldest 4 s');
  });

  it('says everything is running when inventory consumes its queue', async () => {
    installFakeApi(shopRoutes());
    renderShop('/');

    expect(await within(strip()).findByText('Everything is running. Orders are usually confirmed within seconds.')).toBeInTheDocument();
    expect(within(strip()).getByText('Inventory').nextSibling).toHaveTextContent('online');
  });

  it('says the broker delay will resolve itself when the broker is unreachable', async () => {
    const status = systemStatus({ inventoryOnline: false });
    installFakeApi({
      ...shopRoutes(),
      'GET /api/system/status': () => json({ ...status, broker: { reachable: false }, inventory: { online: false, queueDepth: null, consumers: null } }),
    });
    renderShop('/');

    expect(await within(strip()).findByText(/Orders are accepted and saved as usual/)).toBeInTheDocument();
    expect(within(strip()).getByText('Orders waiting in the queue').nextSibling).toHaveTextContent('unknown');
  });

  it('admits it when the shop itself cannot be reached', async () => {
    installFakeApi({ ...shopRoutes(), 'GET /api/system/status': networkError });
    renderShop('/');

    expect(await within(strip()).findByText(/We can't reach the shop right now/)).toBeInTheDocument();
  });
});
