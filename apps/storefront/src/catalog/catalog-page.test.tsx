import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installFakeApi, json, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';

const cardOf = async (name: string) => (await screen.findByRole('article', { name })) as HTMLElement;

describe('catalog', () => {
  it('shows each product with its price and stock', async () => {
    installFakeApi(shopRoutes());
    renderShop('/');

    const blanket = await cardOf('Wool Blanket');
    expect(within(blanket).getByText('$119.00')).toBeInTheDocument();
    expect(await within(blanket).findByText('Only 15 left')).toBeInTheDocument();
    expect(await within(await cardOf('Dot-Grid Notebook')).findByText('In stock')).toBeInTheDocument();
  });

  it('keeps selling when inventory is unreachable and says stock is confirmed after ordering', async () => {
    installFakeApi({ ...shopRoutes(), 'GET /api/stock': () => new Response('Bad Gateway', { status: 502 }) });
    const { user } = renderShop('/');

    const mug = await cardOf('Stoneware Mug');
    expect(await within(mug).findByText('Stock confirmed after you order')).toBeInTheDocument();
    const add = within(mug).getByRole('button', { name: 'Add to cart: Stoneware Mug' });
    expect(add).toBeEnabled();
    await user.click(add);
    expect(within(mug).getByText('1 in your cart')).toBeInTheDocument();
  });

  it('marks a sold-out product and does not offer it', async () => {
    installFakeApi({
      ...shopRoutes(),
      'GET /api/stock': () => json([{ sku: 'LMP-011', available: 0, updatedAt: new Date().toISOString() }]),
    });
    renderShop('/');

    const lamp = await cardOf('Reading Lamp');
    expect(await within(lamp).findByText('Sold out', { selector: '.stock-badge' })).toBeInTheDocument();
    expect(within(lamp).getByRole('button', { name: /Sold out/ })).toBeDisabled();
  });
});
