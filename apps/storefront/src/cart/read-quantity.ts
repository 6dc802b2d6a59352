import { ORDER_LIMITS } from '@shop/contracts';

export type QuantityProblem = 'empty' | 'not-whole' | 'below-1' | 'above-max';

export type QuantityReading = { ok: true; quantity: number } | { ok: false; reason: QuantityProblem };

/** Decimal notation only, as a number field sends it: "0x10" or "1,5" are not quantities. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * What a typed quantity means for the cart. A pure policy, so the field never decides in two places:
 * anything but a whole number from 1 to the per-line limit is a problem with a reason the field can name.
 */
export function readQuantity(text: string): QuantityReading {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, reason: 'empty' };
  if (!DECIMAL.test(trimmed)) return { ok: false, reason: 'not-whole' };
  const quantity = Number(trimmed);
  // Checked before wholeness: 150.5 (or 1e400) is first of all too many, and the field sets the most allowed.
  if (quantity > ORDER_LIMITS.maxQuantityPerLine) return { ok: false, reason: 'above-max' };
  if (!Number.isInteger(quantity)) return { ok: false, reason: 'not-whole' };
  if (quantity < 1) return { ok: false, reason: 'below-1' };
  return { ok: true, quantity };
}
