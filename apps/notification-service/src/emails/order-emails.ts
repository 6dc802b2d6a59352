import type { OrderEmailKind, QUEUES, ConsumedEvent } from '@shop/contracts';
import type { OutgoingEmail } from './mailer';

/** A lifecycle event as this service reads it: the whole payload (event-carried state, no call back). */
export type OrderEvent = ConsumedEvent<typeof QUEUES.notificationsOrderEvents>;
type OrderState = OrderEvent['payload'];

/** Which email each event sends. */
export const EMAIL_KIND_OF = {
  'order.placed': 'received',
  'order.confirmed': 'confirmed',
  'order.rejected': 'rejected',
  'order.cancelled': 'cancelled',
} as const satisfies Record<OrderEvent['type'], OrderEmailKind>;

/** Who sends: the shop's name, its storefront and the sender address (its domain mints the Message-IDs). */
export interface ShopIdentity {
  name: string;
  url: string;
  from: string;
  mailDomain: string;
}

export interface OrderEmail extends OutgoingEmail {
  kind: OrderEmailKind;
  orderId: string;
  /** `<{kind}.{orderId}@{domain}>`: the same event always gives the same id, so a duplicate is recognisable. */
  messageId: string;
}

/** The email for one lifecycle event: a pure function of the event and the shop, so a redelivery renders the same message. */
export function orderEmail(event: OrderEvent, shop: ShopIdentity): OrderEmail {
  const kind = EMAIL_KIND_OF[event.type];
  const order = event.payload;
  const view = { order, shop, link: `${shop.url}/orders/${encodeURIComponent(order.orderId)}`, money: moneyIn(order.currency) };
  const content =
    event.type === 'order.rejected'
      ? event.payload.cause === 'payment'
        ? paymentDeclinedContent(view, event.payload.reason)
        : outOfStockContent(view, event.payload.reason)
      : event.type === 'order.cancelled'
        ? cancelledContent(view, event.payload.paymentHeld)
        : kind === 'confirmed'
          ? confirmedContent(view)
          : receivedContent(view);
  return {
    kind,
    orderId: order.orderId,
    to: { name: order.customer.name, address: order.customer.email },
    subject: content.subject,
    text: textBody(view, content),
    html: htmlBody(view, content).value,
    messageId: `<${kind}.${order.orderId}@${shop.mailDomain}>`,
    headers: { 'X-Shop-Order-Id': order.orderId, 'X-Shop-Event': event.type },
  };
}

/**
 * The "we received your order" email, rendered from any lifecycle event of the order (each one
 * carries the whole order): the same email, Message-ID and headers as its order.placed renders, so
 * a receipt sent ahead of a late order.placed and the one that order.placed would send are one email.
 */
export function receiptOf(event: OrderEvent, shop: ShopIdentity): OrderEmail {
  const { orderId, customer, lines, totalCents, currency, placedAt } = event.payload;
  return orderEmail({ type: 'order.placed', payload: { schemaVersion: 1, orderId, customer, lines, totalCents, currency, placedAt } }, shop);
}

interface View {
  order: OrderState;
  shop: ShopIdentity;
  link: string;
  money: (cents: number) => string;
}

/** What differs between the emails; the greeting, the lines, the total and the link are common. */
interface Content {
  subject: string;
  /** Paragraphs before the lines. */
  intro: string[];
  /** Paragraphs after the link. */
  outro: string[];
  linkLabel: string;
}

function receivedContent({ shop }: View): Content {
  return {
    subject: 'We received your order',
    intro: [
      `Thank you for your order at ${shop.name}. We are checking that every item is in stock and authorizing your payment, and we will email you again as soon as it is confirmed.`,
    ],
    outro: [],
    linkLabel: 'Follow your order',
  };
}

function confirmedContent({ order, money }: View): Content {
  return {
    subject: 'Your order is confirmed',
    intro: [`Good news: every item of your order is reserved for you, the payment of ${money(order.totalCents)} is accepted, and your order is confirmed.`],
    outro: [],
    linkLabel: 'See your order',
  };
}

function outOfStockContent({ order }: View, reason: string): Content {
  return {
    subject: 'We could not confirm your order',
    intro: [`We are sorry: we could not confirm your order. ${shopperReason(reason, order.lines)}`, 'Nothing was charged.'],
    outro: ['You can order again with fewer of that item, or choose another product.'],
    linkLabel: 'See your order',
  };
}

/** The provider's reason is already in a shopper's words ("Insufficient funds"); the stock held for the order was given back. */
function paymentDeclinedContent({ order, money }: View, reason: string): Content {
  return {
    subject: 'Your payment was declined',
    intro: [
      `We are sorry: the payment of ${money(order.totalCents)} for your order was declined, so we could not confirm your order. Reason: ${asSentence(reason)}`,
      'Nothing was charged, and the items we had set aside for you are back in stock.',
    ],
    outro: ['You can place the order again with another card, or ask your bank about the payment.'],
    linkLabel: 'See your order',
  };
}

/** `paymentHeld`: order-service knew of an authorized (or captured) payment when the shopper cancelled; payment-service voids or refunds it. */
function cancelledContent({ order, money }: View, paymentHeld: boolean): Content {
  return {
    subject: 'Your order is cancelled',
    intro: [
      `Your order ${shortId(order.orderId)} is cancelled, as you asked.`,
      paymentHeld
        ? `The payment of ${money(order.totalCents)} is returned to your card: the hold on it is released, or the amount refunded if it was already charged. Your bank may take a few days to show it.`
        : 'You were not charged.',
    ],
    outro: ['You are welcome to order again at any time.'],
    linkLabel: 'See your order',
  };
}

const asSentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

/**
 * Inventory's reason names a sku ("LMP-011 is out of stock: 3 requested, 1 available"); the
 * shopper knows the product by its name. A reason of another form is passed on as it is.
 */
export function shopperReason(reason: string, lines: OrderState['lines']): string {
  const nameOf = (sku: string) => lines.find((line) => line.sku === sku)?.productName ?? sku;
  const short = /^(\S+) is out of stock: (\d+) requested, (\d+) available$/.exec(reason);
  if (short) {
    const [, sku, requested, available] = short;
    return available === '0'
      ? `${nameOf(sku)} is sold out.`
      : `You asked for ${requested} of ${nameOf(sku)}, and only ${available} ${available === '1' ? 'is' : 'are'} left.`;
  }
  const gone = /^(\S+) is not stocked$/.exec(reason);
  if (gone) return `${nameOf(gone[1])} is no longer sold.`;
  return asSentence(reason);
}

/** Money as the storefront shows it (apps/storefront/src/format.ts): en-US, the order's currency. */
function moneyIn(currency: string): (cents: number) => string {
  let format = moneyFormats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    moneyFormats.set(currency, format);
  }
  return (cents) => format.format(cents / 100);
}
/** One formatter per currency: making one costs more than the rest of an email's text (seen in a profile of the email phase). */
const moneyFormats = new Map<string, Intl.NumberFormat>();

const utcDateTime = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
/** In UTC: the email is rendered on a server that does not know the shopper's time zone. */
const placedAt = (iso: string) => `${utcDateTime.format(new Date(iso))} UTC`;
/** Shoppers recognise an order by its first block, as on the storefront. */
const shortId = (orderId: string) => orderId.slice(0, 8).toUpperCase();

function textBody({ order, shop, link, money }: View, content: Content): string {
  const lines = order.lines.map(
    (line) => `  ${line.quantity} × ${line.productName} (${money(line.unitPriceCents)} each): ${money(line.quantity * line.unitPriceCents)}`,
  );
  return [
    `Hello ${order.customer.name},`,
    '',
    ...content.intro.flatMap((paragraph) => [paragraph, '']),
    `Order ${shortId(order.orderId)}, placed ${placedAt(order.placedAt)}`,
    ...lines,
    `Total: ${money(order.totalCents)}`,
    '',
    `${content.linkLabel}: ${link}`,
    '',
    ...content.outro.flatMap((paragraph) => [paragraph, '']),
    shop.name,
    '',
  ].join('\n');
}

function htmlBody({ order, shop, link, money }: View, content: Content): SafeHtml {
  const rows = order.lines.map(
    (line) =>
      html`<tr>
        <td>${line.productName}</td>
        <td align="right">${line.quantity}</td>
        <td align="right">${money(line.unitPriceCents)}</td>
        <td align="right">${money(line.quantity * line.unitPriceCents)}</td>
      </tr>`,
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${content.subject}</title>
      </head>
      <body style="font-family: sans-serif; color: #222; max-width: 40em;">
        <h1 style="font-size: 1.3em;">${shop.name}</h1>
        <p>Hello ${order.customer.name},</p>
        ${content.intro.map((paragraph) => html`<p>${paragraph}</p>`)}
        <p>Order <strong>${shortId(order.orderId)}</strong>, placed ${placedAt(order.placedAt)}</p>
        <table cellpadding="6" style="border-collapse: collapse;">
          <thead>
            <tr>
              <th align="left">Item</th>
              <th align="right">Quantity</th>
              <th align="right">Price</th>
              <th align="right">Amount</th>
            </tr>
          </thead>
          <tbody>
            ${rows}
          </tbody>
          <tfoot>
            <tr>
              <th align="left" colspan="3">Total</th>
              <th align="right">${money(order.totalCents)}</th>
            </tr>
          </tfoot>
        </table>
        <p><a href="${link}">${content.linkLabel}</a></p>
        ${content.outro.map((paragraph) => html`<p>${paragraph}</p>`)}
        <p>${shop.name}</p>
      </body>
    </html> `;
}

/** Markup built by `html`: its interpolations are escaped, so no shopper-supplied value can add markup. */
export class SafeHtml {
  constructor(readonly value: string) {}
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (char) => ESCAPES[char]);

/** A template tag: every value is escaped unless it is SafeHtml (a nested `html`), arrays are joined. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  const render = (value: unknown): string =>
    value instanceof SafeHtml ? value.value : Array.isArray(value) ? value.map(render).join('') : escapeHtml(String(value));
  return new SafeHtml(strings.reduce((out, string, index) => out + string + (index < values.length ? render(values[index]) : ''), ''));
}
