/**
 * The warning for a line that asks for more than inventory last reported, or null. A warning, not a block:
 * stock changes, and the order is checked against real stock when it is reserved. The cart and checkout
 * both show it, so a shopper is never told one thing on one page and nothing on the next.
 */
export function stockWarning(line: { quantity: number }, available: number | undefined): string | null {
  if (available === undefined || line.quantity <= available) return null;
  const inStock = available === 0 ? 'None in stock right now' : `Only ${available} in stock right now`;
  return `${inStock}: this order would not be confirmed unless more arrives.`;
}
