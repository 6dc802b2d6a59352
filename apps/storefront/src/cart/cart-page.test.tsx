import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installFakeApi, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';
import { CART_STORAGE_KEY } from './cart-storage';

function putInCart(lines: { sku: string; quantity: number }[]) {
  window.localStorage.setItem(CART_STORAGE_KEY, JSON.stringify(lines));
}

const summary = () => screen.getByRole('complementary', { name: 'Cart summary' });

describe('cart page', () => {
  it('offers checkout while every quantity is a quantity', async () => {
    installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    renderShop('/cart');

    await screen.findByRole('spinbutton', { name: 'Quantity of Stoneware Mug' });

    expect(within(summary()).getByRole('link', { name: 'Go to checkout' })).toHaveAttribute('href', '/checkout');
    expect(within(summary()).queryByRole('button', { name: 'Go to checkout' })).not.toBeInTheDocument();
  });

  it('disables checkout while a quantity field holds no quantity, and says which ones to fix', async () => {
    installFakeApi(shopRoutes());
    putInCart([
      { sku: 'MUG-001', quantity: 2 },
      { sku: 'PEN-006', quantity: 1 },
      { sku: 'TEE-002', quantity: 1 },
    ]);
    const { user } = renderShop('/cart');

    await user.clear(await screen.findByRole('spinbutton', { name: 'Quantity of Stoneware Mug' }));

    const checkout = within(summary()).getByRole('button', { name: 'Go to checkout' });
    expect(checkout).toBeDisabled();
    expect(checkout).toHaveAccessibleDescription('To check out, first fix the quantity of Stoneware Mug.');
    expect(within(summary()).queryByRole('link', { name: 'Go to checkout' })).not.toBeInTheDocument();

    await user.type(screen.getByRole('spinbutton', { name: 'Quantity of Brass Pen' }), '.5');

    expect(within(summary()).getByText('Subtotal').nextSibling).toHaveTextContent('Fix the quantities of Stoneware Mug and Brass Pen to see the total');
    expect(within(summary()).getByRole('button', { name: 'Go to checkout' })).toHaveAccessibleDescription(
      'To check out, first fix the quantities of Stoneware Mug and Brass Pen.',
    );
  });

  it('offers checkout again once the line with the bad quantity is removed or fixed', async () => {
    installFakeApi(shopRoutes());
    putInCart([
      { sku: 'MUG-001', quantity: 2 },
      { sku: 'PEN-006', quantity: 1 },
    ]);
    const { user } = renderShop('/cart');
    const mug = await screen.findByRole('spinbutton', { name: 'Quantity of Stoneware Mug' });
    const pen = screen.getByRole('spinbutton', { name: 'Quantity of Brass Pen' });

    await user.clear(mug);
    await user.type(mug, '0');
    await user.clear(pen);
    expect(within(summary()).getByRole('button', { name: 'Go to checkout' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Remove Stoneware Mug' }));
    expect(within(summary()).getByRole('button', { name: 'Go to checkout' })).toHaveAccessibleDescription('To check out, first fix the quantity of Brass Pen.');

    await user.type(pen, '2');

    expect(within(summary()).getByRole('link', { name: 'Go to checkout' })).toBeInTheDocument();
    expect(within(summary()).getByText('Subtotal (2 items)').nextSibling).toHaveTextContent('$90.00');
  });
});
