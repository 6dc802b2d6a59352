import { describe, expect, it } from 'vitest';
import { readQuantity, type QuantityReading } from './read-quantity';

describe('readQuantity', () => {
  const cases: [text: string, reading: QuantityReading][] = [
    ['1', { ok: true, quantity: 1 }],
    ['12', { ok: true, quantity: 12 }],
    [' 7 ', { ok: true, quantity: 7 }],
    ['012', { ok: true, quantity: 12 }],
    ['3.0', { ok: true, quantity: 3 }],
    ['100', { ok: true, quantity: 100 }],
    ['1e2', { ok: true, quantity: 100 }],
    ['', { ok: false, reason: 'empty' }],
    ['   ', { ok: false, reason: 'empty' }],
    ['1.5', { ok: false, reason: 'not-whole' }],
    ['0.5', { ok: false, reason: 'not-whole' }],
    ['-1.5', { ok: false, reason: 'not-whole' }],
    ['abc', { ok: false, reason: 'not-whole' }],
    ['0x10', { ok: false, reason: 'not-whole' }],
    ['1,5', { ok: false, reason: 'not-whole' }],
    ['Infinity', { ok: false, reason: 'not-whole' }],
    ['0', { ok: false, reason: 'below-1' }],
    ['-3', { ok: false, reason: 'below-1' }],
    ['101', { ok: false, reason: 'above-max' }],
    ['1000', { ok: false, reason: 'above-max' }],
    ['150.5', { ok: false, reason: 'above-max' }],
    ['1e400', { ok: false, reason: 'above-max' }],
  ];

  it.each(cases)('reads %j as %j', (text, reading) => {
    expect(readQuantity(text)).toEqual(reading);
  });
});
