import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installFakeApi, json, productBySku, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';

const mugRoutes = () => ({ ...shopRoutes(), 'GET /api/products/MUG-001': () => json(productBySku('MUG-001')) });

describe('product page', () => {
  it('shows the product: name as the heading, price, description and stock', async () => {
    const api = installFakeApi(mugRoutes());
    const { container } = renderShop('/products/MUG-001');

    expect(await screen.findByRole('heading', { level: 1, name: 'Stoneware Mug' })).toBeInTheDocument();
    expect(screen.getByText('$18.00')).toBeInTheDocument();
    expect(screen.getByText('A 350 ml mug, glazed in speckled sand.')).toBeInTheDocument();
    expect(await screen.findByText('In stock')).toBeInTheDocument();
    // Decorative (the h1 names the product): an empty alt, so it is no image to assistive technology.
    expect(container.querySelector('img')).toHaveAttribute('src', '/images/mug.svg');
    expect(container.querySelector('img')).toHaveAttribute('alt', '');
    expect(api.requests.map((request) => new URL(request.url).pathname)).toContain('/api/products/MUG-001');
  });

  it('adds the chosen quantity to the cart', async () => {
    installFakeApi(mugRoutes());
    const { user } = renderShop('/products/MUG-001');
    await screen.findByRole('heading', { level: 1, name: 'Stoneware Mug' });

    await user.click(screen.getByRole('button', { name: 'One more: Quantity of Stoneware Mug' }));
    await user.click(screen.getByRole('button', { name: 'Add to cart' }));
    expect(screen.getByText('2 in your cart')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Add to cart' }));
    expect(screen.getByText('4 in your cart')).toBeInTheDocument();
    expect(JSON.parse(window.localStorage.getItem('shop.cart.v1') ?? 'null')).toMatchObject([{ sku: 'MUG-001', quantity: 4 }]);
  });

  it('says so when the cart cannot hold all it was asked to add, and stops offering more at 100', async () => {
    window.localStorage.setItem('shop.cart.v1', JSON.stringify([{ sku: 'MUG-001', quantity: 99 }]));
    installFakeApi(mugRoutes());
    const { user } = renderShop('/products/MUG-001');
    await screen.findByRole('heading', { level: 1, name: 'Stoneware Mug' });

    await user.click(screen.getByRole('button', { name: 'One more: Quantity of Stoneware Mug' }));
    await user.click(screen.getByRole('button', { name: 'Add to cart' }));
    expect(screen.getByText('At most 100 per order: 1 added, 100 in your cart')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Add to cart' })).toBeDisabled();
  });

  it('an unknown sku says we do not sell it and links to the shop', async () => {
    installFakeApi({
      ...shopRoutes(),
      'GET /api/products/MUG-000': () => json({ statusCode: 404, error: 'Not Found', message: 'product MUG-000 does not exist' }, 404),
    });
    renderShop('/products/MUG-000');

    expect(await screen.findByRole('heading', { level: 1, name: "We don't sell this (any more)" })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Browse the shop' })).toHaveAttribute('href', '/');
    expect(screen.queryByRole('button', { name: 'Add to cart' })).not.toBeInTheDocument();
  });

  it('while inventory is offline it says stock is checked when you order, and still sells', async () => {
    installFakeApi({ ...mugRoutes(), 'GET /api/stock': () => new Response('Bad Gateway', { status: 502 }) });
    const { user } = renderShop('/products/MUG-001');

    expect(await screen.findByText('Stock is checked when you order')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Add to cart' }));
    expect(screen.getByText('1 in your cart')).toBeInTheDocument();
  });

  it('"Back to results" returns to the search the shopper came from', async () => {
    installFakeApi({ ...mugRoutes(), 'GET /api/products': () => json([productBySku('MUG-001')]) });
    const { user } = renderShop('/?q=mug&sort=name-asc');

    await user.click(await screen.findByRole('link', { name: 'Stoneware Mug' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Stoneware Mug' })).toBeInTheDocument();
    await user.click(screen.getByRole('link', { name: 'Back to results' }));
    expect(await screen.findByText('1 product matches “mug”')).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Sort by' })).toHaveValue('name-asc');
  });
});
