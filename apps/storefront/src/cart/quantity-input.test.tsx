import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installFakeApi, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';
import { CART_STORAGE_KEY } from './cart-storage';

function putInCart(lines: { sku: string; quantity: number }[]) {
  window.localStorage.setItem(CART_STORAGE_KEY, JSON.stringify(lines));
}

const savedCart = () => JSON.parse(window.localStorage.getItem(CART_STORAGE_KEY) ?? 'null') as unknown;

/** The cart line holding the quantity field of this product. */
async function lineOf(name: string) {
  const field = await screen.findByRole('spinbutton', { name: `Quantity of ${name}` });
  return { field, line: field.closest('li')! };
}

const lineTotal = (line: HTMLElement) => line.querySelector('.cart-line__total')!;
const subtotal = () => within(screen.getByRole('complementary', { name: 'Cart summary' })).getByText(/^Subtotal/).nextSibling;

describe('quantity field', () => {
  it('sets 1000 to 100 and says so, even when the line already holds 100', async () => {
    installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 100 }]);
    const { user } = renderShop('/cart');
    const { field, line } = await lineOf('Stoneware Mug');

    // The cursor lands at the end: "100" becomes "1000".
    await user.type(field, '0');

    expect(field).toHaveValue(100);
    expect(field).toHaveAccessibleDescription('At most 100 per order: set to 100');
    expect(within(line).getByRole('status')).toHaveTextContent('At most 100 per order: set to 100');
    expect(field).not.toHaveAttribute('aria-invalid');
    expect(lineTotal(line)).toHaveTextContent('$1,800.00');
    expect(savedCart()).toEqual([{ sku: 'MUG-001', quantity: 100 }]);
  });

  it('sets 1000 typed from scratch to 100 with the note, and drops the note at the next change', async () => {
    installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    const { user } = renderShop('/cart');
    const { field, line } = await lineOf('Stoneware Mug');

    await user.clear(field);
    await user.type(field, '1000');

    expect(field).toHaveValue(100);
    expect(field).toHaveAccessibleDescription('At most 100 per order: set to 100');
    expect(subtotal()).toHaveTextContent('$1,800.00');

    await user.click(within(line).getByRole('button', { name: 'One fewer: Quantity of Stoneware Mug' }));

    expect(field).toHaveValue(99);
    expect(within(line).getByRole('status')).toHaveTextContent('');
    expect(field).not.toHaveAccessibleDescription();
  });

  it('keeps 0 on screen with an error, shows no total and keeps it all on blur', async () => {
    installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    const { user } = renderShop('/cart');
    const { field, line } = await lineOf('Stoneware Mug');

    await user.clear(field);
    await user.type(field, '0');

    const error = 'Error: Quantity must be at least 1; use Remove to take it out';
    expect(field).toHaveValue(0);
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(field).toHaveAccessibleDescription(error);
    expect(lineTotal(line)).toHaveTextContent('—');
    expect(lineTotal(line)).not.toHaveTextContent('$');
    expect(subtotal()).toHaveTextContent('Fix the quantity of Stoneware Mug to see the total');

    await user.tab();

    expect(field).not.toHaveFocus();
    expect(field).toHaveValue(0);
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(field).toHaveAccessibleDescription(error);
    expect(lineTotal(line)).toHaveTextContent('—');
    // The cart still holds the last quantity that applied; the page just will not total or check out on it.
    expect(savedCart()).toEqual([{ sku: 'MUG-001', quantity: 2 }]);
  });

  it.each([
    ['', 'Error: Enter a quantity of at least 1; use Remove to take it out'],
    ['1.5', 'Error: Quantity must be a whole number, such as 1 or 2'],
  ])('keeps %j on screen with its error', async (typed, error) => {
    installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 2 }]);
    const { user } = renderShop('/cart');
    const { field, line } = await lineOf('Stoneware Mug');

    await user.clear(field);
    if (typed) await user.type(field, typed);
    await user.tab();

    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(field).toHaveAccessibleDescription(error);
    expect(lineTotal(line)).toHaveTextContent('—');
  });

  it('clears the error once a quantity is typed, and steps up from what is on screen', async () => {
    installFakeApi(shopRoutes());
    putInCart([{ sku: 'MUG-001', quantity: 5 }]);
    const { user } = renderShop('/cart');
    const { field, line } = await lineOf('Stoneware Mug');

    await user.clear(field);
    await user.type(field, '0');
    await user.click(within(line).getByRole('button', { name: 'One more: Quantity of Stoneware Mug' }));

    expect(field).toHaveValue(1);
    expect(field).not.toHaveAttribute('aria-invalid');
    expect(lineTotal(line)).toHaveTextContent('$18.00');

    await user.clear(field);
    await user.type(field, '3');

    expect(field).not.toHaveAttribute('aria-invalid');
    expect(field).not.toHaveAccessibleDescription();
    expect(lineTotal(line)).toHaveTextContent('$54.00');
    expect(subtotal()).toHaveTextContent('$54.00');
    await waitFor(() => expect(savedCart()).toEqual([{ sku: 'MUG-001', quantity: 3 }]));
  });
});
