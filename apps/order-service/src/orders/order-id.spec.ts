import { newOrderId } from './order-id';

describe('newOrderId', () => {
  it('is a UUIDv7 whose millisecond prefix follows the clock', () => {
    const before = Date.now();
    const id = newOrderId();
    const after = Date.now();

    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it('ids of one millisecond are not consecutive: the bits after the time are random, not a counter', () => {
    const ids = Array.from({ length: 2_000 }, () => newOrderId());
    const sameMs = ids.slice(1).flatMap((id, i) => (id.slice(0, 13) === ids[i].slice(0, 13) ? [[ids[i], id]] : []));
    // A counter would make the 32 bits after the version (rand_a and the top of rand_b) go up by one.
    const counter = (id: string) => {
      const hex = id.replace(/-/g, '');
      return (BigInt(`0x${hex.slice(13, 16)}`) << 20n) | ((BigInt(`0x${hex.slice(16, 18)}`) & 0x3fn) << 14n) | (BigInt(`0x${hex.slice(18, 22)}`) >> 2n);
    };

    expect(sameMs.length).toBeGreaterThan(100);
    expect(sameMs.filter(([a, b]) => counter(b) === counter(a) + 1n)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
