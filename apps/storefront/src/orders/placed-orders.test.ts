import { describe, expect, it } from 'vitest';
import {
  forgetAllPlacedOrders,
  forgetPlacedOrders,
  loadPlacedOrders,
  PLACED_ORDERS_FORGOTTEN,
  PLACED_ORDERS_KEPT,
  PLACED_ORDERS_STORAGE_KEY,
  recordPlacedOrder,
  cancelTokenOf,
} from './placed-orders';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const at = (n: number) => new Date(Date.UTC(2030, 0, 1, 0, n)).toISOString();

describe('orders placed from this browser', () => {
  it('keeps the newest first, each order once, at most PLACED_ORDERS_KEPT', () => {
    for (let n = 1; n <= PLACED_ORDERS_KEPT + 5; n++) recordPlacedOrder({ id: id(n), createdAt: at(n) });
    recordPlacedOrder({ id: id(30), createdAt: at(30) });

    const kept = loadPlacedOrders();
    expect(kept).toHaveLength(PLACED_ORDERS_KEPT);
    expect(kept.slice(0, 3)).toEqual([
      { id: id(30), placedAt: at(30) },
      { id: id(55), placedAt: at(55) },
      { id: id(54), placedAt: at(54) },
    ]);
    expect(kept.filter((order) => order.id === id(30))).toHaveLength(1);
    expect(kept.at(-1)?.id).toBe(id(6));
  });

  it.each([
    ['not JSON', '{'],
    ['not a list', '{"id":"x"}'],
    ['entries of the wrong shape', JSON.stringify([{ id: 'not-a-uuid', placedAt: at(1) }, { id: id(1) }, null, 7])],
  ])('reads %s as no orders', (_, saved) => {
    window.localStorage.setItem(PLACED_ORDERS_STORAGE_KEY, saved);
    expect(loadPlacedOrders()).toEqual([]);
  });

  it('keeps the readable entries of a partly damaged list', () => {
    window.localStorage.setItem(
      PLACED_ORDERS_STORAGE_KEY,
      JSON.stringify([
        { id: id(1), placedAt: at(1), extra: true },
        { id: id(2), placedAt: 'yesterday' },
      ]),
    );
    expect(loadPlacedOrders()).toEqual([{ id: id(1), placedAt: at(1) }]);
  });

  it('forgets the given orders only', () => {
    for (const n of [1, 2, 3]) recordPlacedOrder({ id: id(n), createdAt: at(n) });
    forgetPlacedOrders([id(2)]);
    expect(loadPlacedOrders().map((order) => order.id)).toEqual([id(3), id(1)]);
  });

  it('forgets them all, and tells this tab', () => {
    for (const n of [1, 2]) recordPlacedOrder({ id: id(n), createdAt: at(n) });
    let told = 0;
    const listener = () => told++;
    window.addEventListener(PLACED_ORDERS_FORGOTTEN, listener);
    try {
      forgetAllPlacedOrders();
    } finally {
      window.removeEventListener(PLACED_ORDERS_FORGOTTEN, listener);
    }
    expect(loadPlacedOrders()).toEqual([]);
    expect(window.localStorage.getItem(PLACED_ORDERS_STORAGE_KEY)).toBeNull();
    expect(told).toBe(1);
  });

  it('ignores a full or disabled storage', () => {
    const full = {
      getItem: () => null,
      setItem: () => {
        throw new DOMException('quota exceeded', 'QuotaExceededError');
      },
    } as unknown as Storage;
    expect(() => recordPlacedOrder({ id: id(1), createdAt: at(1) }, full)).not.toThrow();
    expect(loadPlacedOrders(full)).toEqual([]);
  });

  it("keeps each order's cancel token with it, and forgets it with the order", () => {
    const token = 'c4nc3l-t0k3n-0123456789abcdef';
    recordPlacedOrder({ id: id(1), createdAt: at(1), cancelToken: token });
    recordPlacedOrder({ id: id(2), createdAt: at(2) });

    expect(cancelTokenOf(id(1))).toBe(token);
    expect(cancelTokenOf(id(2))).toBeNull();
    expect(loadPlacedOrders()).toEqual([
      { id: id(2), placedAt: at(2) },
      { id: id(1), placedAt: at(1), cancelToken: token },
    ]);
    forgetAllPlacedOrders();
    expect(cancelTokenOf(id(1))).toBeNull();
  });

  it('drops a cancel token that is not one (edited by hand), keeping the order', () => {
    window.localStorage.setItem(PLACED_ORDERS_STORAGE_KEY, JSON.stringify([{ id: id(1), placedAt: at(1), cancelToken: 'short' }]));
    expect(loadPlacedOrders()).toEqual([{ id: id(1), placedAt: at(1) }]);
  });
});
