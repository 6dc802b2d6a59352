import type { OrderView } from '@shop/contracts';
import { describe, expect, it } from 'vitest';
import { awaitsNews, moneyOutcome, orderSteps } from './order-progress';

const AT = '2030-05-01T10:00:00.000Z';

function order(overrides: Partial<OrderView>): OrderView {
  return {
    id: '5d6c1a2b-3e4f-4a5b-8c7d-9e0f1a2b3c4d',
    status: 'PENDING',
    statusReason: null,
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: [{ sku: 'BLK-012', name: 'Wool Blanket', quantity: 20, unitPriceCents: 8900 }],
    totalCents: 178000,
    payment: null,
    stockReleased: false,
    cancellable: true,
    createdAt: AT,
    updatedAt: AT,
    ...overrides,
  };
}

const prompt = { confirmationsDelayed: false, needsAPerson: false };
const declined = { status: 'declined' as const, reason: 'Your card was declined.' };

describe('the steps of an order', () => {
  it.each<[string, Partial<OrderView>, [string, string][]]>([
    [
      'pending',
      { status: 'PENDING' },
      [
        ['Order received', 'done'],
        ['Stock reserved', 'current'],
        ['Payment authorized', 'upcoming'],
        ['Confirmed', 'upcoming'],
      ],
    ],
    [
      'reserved',
      { status: 'RESERVED' },
      [
        ['Order received', 'done'],
        ['Stock reserved', 'done'],
        ['Payment authorized', 'current'],
        ['Confirmed', 'upcoming'],
      ],
    ],
    [
      'confirmed',
      { status: 'CONFIRMED', payment: { status: 'captured', reason: null } },
      [
        ['Order received', 'done'],
        ['Stock reserved', 'done'],
        ['Payment authorized', 'done'],
        ['Confirmed', 'done'],
      ],
    ],
    [
      'rejected for stock',
      { status: 'REJECTED', statusReason: 'BLK-012 is out of stock: 20 requested, 15 available' },
      [
        ['Order received', 'done'],
        ['Stock reserved', 'failed'],
      ],
    ],
    [
      'rejected for payment',
      { status: 'REJECTED', statusReason: 'payment declined', payment: declined },
      [
        ['Order received', 'done'],
        ['Stock reserved', 'done'],
        ['Payment authorized', 'failed'],
      ],
    ],
    [
      'cancelled',
      { status: 'CANCELLED', payment: { status: 'refunded', reason: null }, cancellable: false },
      [
        ['Order received', 'done'],
        ['Cancelled', 'done'],
      ],
    ],
  ])('%s', (_, overrides, expected) => {
    expect(orderSteps(order(overrides), prompt).map((step) => [step.title, step.state])).toEqual(expected);
  });

  it('names the product first in a stock rejection, and gives the provider reason for a declined payment', () => {
    const stock = orderSteps(order({ status: 'REJECTED', statusReason: 'BLK-012 is out of stock: 20 requested, 15 available' }), prompt);
    expect(stock.at(-1)?.detail).toBe('Wool Blanket (BLK-012) is out of stock: 20 requested, 15 available.');
    const payment = orderSteps(order({ status: 'REJECTED', statusReason: 'payment declined', payment: declined }), prompt);
    expect(payment.at(-1)?.detail).toBe('Your card was declined.');
  });
});

describe("what became of a cancelled order's money", () => {
  it.each<[OrderView['payment'], string]>([
    [{ status: 'voided', reason: null }, 'The hold on your card was released.'],
    [{ status: 'refunded', reason: null }, 'Refunded to your card.'],
    [{ status: 'authorized', reason: null }, 'Returning your payment…'],
    [{ status: 'captured', reason: null }, 'Returning your payment…'],
    [null, 'Nothing was charged to your card.'],
  ])('%j: %s', (payment, sentence) => {
    expect(moneyOutcome({ payment })).toBe(sentence);
  });
});

describe('whether the order page keeps listening', () => {
  it.each<[string, Partial<OrderView>, boolean]>([
    ['pending', { status: 'PENDING' }, true],
    ['reserved', { status: 'RESERVED' }, true],
    ['confirmed', { status: 'CONFIRMED' }, false],
    ['rejected for stock', { status: 'REJECTED' }, false],
    ['declined, items not yet put back', { status: 'REJECTED', payment: declined, stockReleased: false }, true],
    ['declined, items put back', { status: 'REJECTED', payment: declined, stockReleased: true }, false],
    ['cancelled, refund outstanding', { status: 'CANCELLED', payment: { status: 'captured', reason: null } }, true],
    ['cancelled, refunded', { status: 'CANCELLED', payment: { status: 'refunded', reason: null } }, false],
    ['cancelled before any payment', { status: 'CANCELLED', payment: null }, false],
  ])('%s: %s', (_, overrides, expected) => {
    expect(awaitsNews(order(overrides))).toBe(expected);
  });
});
