import { html, orderEmail, receiptOf, shopperReason, type OrderEvent, type ShopIdentity } from './order-emails';

const SHOP: ShopIdentity = { name: 'Decoupled Shop', url: 'https://shop.example', from: 'Decoupled Shop <orders@shop.example>', mailDomain: 'shop.example' };
const ORDER_ID = '0d5c6f5e-2b1f-4a5e-9a53-0f6c2a1d9b11';
const state = {
  schemaVersion: 1 as const,
  orderId: ORDER_ID,
  customer: { name: 'Ada "<script>alert(1)</script>"', email: 'ada@example.com' },
  lines: [
    { sku: 'MUG-001', productName: 'Stoneware Mug', quantity: 3, unitPriceCents: 1800 },
    { sku: 'TEE-002', productName: 'Organic Cotton Tee', quantity: 1, unitPriceCents: 2900 },
  ],
  totalCents: 8300,
  currency: 'USD',
  placedAt: '2026-12-02T01:30:00.000Z',
};
const declined = { ...state, reason: 'Insufficient funds', rejectedAt: '2026-12-02T01:30:02.000Z' };
const cancelled = (paymentHeld: boolean) => ({
  ...state,
  previousStatus: paymentHeld ? ('CONFIRMED' as const) : ('PENDING' as const),
  paymentHeld,
  cancelledAt: '2026-12-02T01:31:00.000Z',
});

describe('the order emails', () => {
  it.each<[OrderEvent, string, string]>([
    [{ type: 'order.placed', payload: state }, 'We received your order', 'received'],
    [{ type: 'order.confirmed', payload: { ...state, confirmedAt: '2026-12-02T01:30:01.000Z' } }, 'Your order is confirmed', 'confirmed'],
    [
      {
        type: 'order.rejected',
        payload: { ...state, reason: 'MUG-001 is out of stock: 3 requested, 2 available', cause: 'stock', rejectedAt: '2026-12-02T01:30:01.000Z' },
      },
      'We could not confirm your order',
      'rejected',
    ],
    [{ type: 'order.rejected', payload: { ...declined, cause: 'payment' } }, 'Your payment was declined', 'rejected'],
    [{ type: 'order.cancelled', payload: cancelled(true) }, 'Your order is cancelled', 'cancelled'],
  ])('%#: %p renders its subject, a Message-ID of its kind, the lines, the total and the link', (event, subject, kind) => {
    const email = orderEmail(event, SHOP);
    expect(email).toMatchObject({ kind, subject, messageId: `<${kind}.${ORDER_ID}@shop.example>`, to: { address: 'ada@example.com' } });
    expect(email.headers).toEqual({ 'X-Shop-Order-Id': ORDER_ID, 'X-Shop-Event': event.type });
    expect(email.text).toContain('3 × Stoneware Mug ($18.00 each): $54.00');
    expect(email.text).toContain('Total: $83.00');
    expect(email.text).toContain(`https://shop.example/orders/${ORDER_ID}`);
    expect(email.text).toContain('Order 0D5C6F5E, placed Dec 2, 2026, 1:30 AM UTC');
    expect(email.html).toContain('<td align="right">$54.00</td>');
    expect(email.html).toContain(`href="https://shop.example/orders/${ORDER_ID}"`);
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('Ada &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;');
    // The same event renders the same email: a redelivery is a recognisable duplicate.
    expect(orderEmail(event, SHOP)).toEqual(email);
  });

  it('says why in the shopper’s words, and what to do', () => {
    const email = orderEmail(
      {
        type: 'order.rejected',
        payload: { ...state, reason: 'MUG-001 is out of stock: 3 requested, 2 available', cause: 'stock', rejectedAt: '2026-12-02T01:30:01.000Z' },
      },
      SHOP,
    );
    expect(email.text).toContain('You asked for 3 of Stoneware Mug, and only 2 are left.');
    expect(email.text).toContain('Nothing was charged.');
    expect(email.text).toContain('You can order again with fewer of that item, or choose another product.');
  });

  it('says a declined payment was declined, why, that the stock is back, and to try another card', () => {
    const email = orderEmail({ type: 'order.rejected', payload: { ...declined, cause: 'payment' } }, SHOP);
    expect(email.text).toContain(
      'We are sorry: the payment of $83.00 for your order was declined, so we could not confirm your order. Reason: Insufficient funds.',
    );
    expect(email.text).toContain('Nothing was charged, and the items we had set aside for you are back in stock.');
    expect(email.text).toContain('You can place the order again with another card');
    // Not the out-of-stock advice: nothing was short.
    expect(email.text).not.toContain('fewer of that item');
    expect(email.html).toContain('Reason: Insufficient funds.');
  });

  it('says a cancelled order is cancelled and, when a payment was held, that it goes back to the card', () => {
    const held = orderEmail({ type: 'order.cancelled', payload: cancelled(true) }, SHOP);
    expect(held.headers['X-Shop-Event']).toBe('order.cancelled');
    expect(held.text).toContain('Your order 0D5C6F5E is cancelled, as you asked.');
    expect(held.text).toContain(
      'The payment of $83.00 is returned to your card: the hold on it is released, or the amount refunded if it was already charged.',
    );
    expect(held.text).not.toContain('You were not charged.');
    expect(held.html).toContain('The payment of $83.00 is returned to your card');

    const unpaid = orderEmail({ type: 'order.cancelled', payload: cancelled(false) }, SHOP);
    expect(unpaid.text).toContain('Your order 0D5C6F5E is cancelled, as you asked.');
    expect(unpaid.text).toContain('You were not charged.');
    expect(unpaid.text).not.toContain('returned to your card');
  });

  it.each<[string, OrderEvent]>([
    ['order.confirmed', { type: 'order.confirmed', payload: { ...state, confirmedAt: '2026-12-02T01:30:01.000Z' } }],
    ['order.rejected', { type: 'order.rejected', payload: { ...declined, cause: 'payment' } }],
    ['order.cancelled', { type: 'order.cancelled', payload: cancelled(false) }],
  ])('renders from %s the very receipt order.placed renders (sent ahead, it is the same email)', (_, event) => {
    const receipt = receiptOf(event, SHOP);
    expect(receipt).toEqual(orderEmail({ type: 'order.placed', payload: state }, SHOP));
    expect(receipt).toMatchObject({ kind: 'received', subject: 'We received your order', headers: { 'X-Shop-Event': 'order.placed' } });
  });

  it.each([
    ['MUG-001 is out of stock: 3 requested, 0 available', 'Stoneware Mug is sold out.'],
    ['MUG-001 is out of stock: 3 requested, 1 available', 'You asked for 3 of Stoneware Mug, and only 1 is left.'],
    ['TEE-002 is not stocked', 'Organic Cotton Tee is no longer sold.'],
    ['the order could not be confirmed', 'the order could not be confirmed.'],
  ])('shopperReason(%p) is %p', (reason, expected) => {
    expect(shopperReason(reason, state.lines)).toBe(expected);
  });

  it('escapes every interpolated value of an html template, nested templates excepted', () => {
    const name = `<img src=x onerror="alert('x')">&`;
    // Prettier lays out `html` templates: the whitespace between tags is not what is tested.
    const rendered = html`<p>${name}</p>
      ${[html`<b>${'a<b'}</b>`]}`.value.replace(/>\s+</g, '><');
    expect(rendered).toBe('<p>&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;</p><b>a&lt;b</b>');
  });
});
