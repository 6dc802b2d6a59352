import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installFakeApi, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';
import { CART_STORAGE_KEY } from './cart-storage';

describe('cart', () => {
  it('keeps what the shopper added across a reload', async () => {
    installFakeApi(shopRoutes());
    const firstVisit = renderShop('/');
    await firstVisit.user.click(await screen.findByRole('button', { name: 'Add to cart: Stoneware Mug' }));
    await firstVisit.user.click(screen.getByRole('button', { name: 'Add to cart: Stoneware Mug' }));
    await firstVisit.user.click(screen.getByRole('button', { name: 'Add to cart: Brass Pen' }));
    firstVisit.unmount();

    renderShop('/cart');

    const items = await screen.findByRole('list', { name: 'Items in your cart' });
    expect(await within(items).findByRole('heading', { name: 'Stoneware Mug' })).toBeInTheDocument();
    expect(within(items).getByRole('spinbutton', { name: 'Quantity of Stoneware Mug' })).toHaveValue(2);
    expect(within(items).getByRole('spinbutton', { name: 'Quantity of Brass Pen' })).toHaveValue(1);
    expect(screen.getByRole('link', { name: 'Cart, 3 items' })).toBeInTheDocument();
    expect(screen.getByText('Subtotal (3 items)').nextSibling).toHaveTextContent('$81.00');
  });

  it('saves quantity changes and removals', async () => {
    installFakeApi(shopRoutes());
    window.localStorage.setItem(
      CART_STORAGE_KEY,
      JSON.stringify([
        { sku: 'MUG-001', quantity: 1 },
        { sku: 'PEN-006', quantity: 1 },
      ]),
    );
    const { user } = renderShop('/cart');

    const quantity = await screen.findByRole('spinbutton', { name: 'Quantity of Stoneware Mug' });
    await user.clear(quantity);
    await user.type(quantity, '12');
    await user.click(screen.getByRole('button', { name: 'Remove Brass Pen' }));

    expect(JSON.parse(window.localStorage.getItem(CART_STORAGE_KEY) ?? 'null')).toEqual([{ sku: 'MUG-001', quantity: 12 }]);
  });

  it('stops "Add to cart" at the most one order may hold, and says so', async () => {
    installFakeApi(shopRoutes());
    window.localStorage.setItem(CART_STORAGE_KEY, JSON.stringify([{ sku: 'MUG-001', quantity: 99 }]));
    const { user } = renderShop('/');
    const add = await screen.findByRole('button', { name: 'Add to cart: Stoneware Mug' });
    const card = add.closest('article')!;
    expect(within(card).getByRole('status')).toHaveTextContent('99 in your cart');
    expect(add).toBeEnabled();

    await user.click(add);

    expect(within(card).getByRole('status')).toHaveTextContent('100 in your cart (the most per order)');
    expect(add).toBeDisabled();
    expect(JSON.parse(window.localStorage.getItem(CART_STORAGE_KEY) ?? 'null')).toEqual([{ sku: 'MUG-001', quantity: 100 }]);
    expect(screen.getByRole('button', { name: 'Add to cart: Brass Pen' })).toBeEnabled();
  });

  it('starts empty when the saved cart cannot be read', async () => {
    installFakeApi(shopRoutes());
    window.localStorage.setItem(CART_STORAGE_KEY, '{"not": "a cart"');
    renderShop('/cart');

    expect(await screen.findByText('Your cart is empty.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Cart, 0 items' })).toBeInTheDocument();
  });
});
