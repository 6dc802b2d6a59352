import { ROUTING_KEYS } from '@shop/contracts';
import type { AcceptedEmail, SystemDriver } from './driver';
import { queueDepths, workQueues } from './promise-check';

/** The email each lifecycle event calls for: its Message-ID is `<{kind}.{orderId}@{domain}>`, X-Shop-Event the routing key. */
const EVENT_OF_KIND = {
  received: ROUTING_KEYS.orderPlaced,
  confirmed: ROUTING_KEYS.orderConfirmed,
  rejected: ROUTING_KEYS.orderRejected,
  cancelled: ROUTING_KEYS.orderCancelled,
} as const;
type Kind = keyof typeof EVENT_OF_KIND;
const MESSAGE_ID = /^<(received|confirmed|rejected|cancelled)\.([^@>]+)@[^>]+>$/;
/** The order's own order, as a shopper must read its emails: the receipt, then the decision, then the cancellation. */
const RANK: Record<Kind, number> = { received: 1, confirmed: 2, rejected: 2, cancelled: 3 };
/** No new email for this long (and nothing queued) after the last expected one: what redelivery sends twice has arrived. */
const QUIET_MS = 3_000;
/** An order confirmed this long before the first fault had its email go out before the fault, unless it took longer than this anyway. */
const UNDISTURBED_MS = 2_000;

/** What the SMTP server accepted against what the orders' final statuses call for. */
export interface EmailReport {
  /** Emails the accepted orders call for: received + confirmed, received + rejected, or received + cancelled. */
  expected: number;
  /**
   * Emails a final status allows without calling for them, and that were sent: the confirmation of
   * an order cancelled after it was confirmed (it may also have been superseded by the cancellation
   * and never sent). accepted = expected + optional + duplicated when nothing is lost or wrong.
   */
  optional: number;
  /** Messages the SMTP server accepted, copies included. */
  accepted: number;
  /** `{kind}.{orderId}` of every expected email the SMTP server never accepted. */
  lost: string[];
  /** Extra copies of an email accepted more than once (counted by Message-ID). */
  duplicated: number;
  /** Emails no final status calls for, or whose headers or recipient do not match their order. */
  wrong: string[];
  /**
   * Emails that reached the mail server out of their order's sequence (see outOfSequence): a
   * decision before the receipt, a receipt or decision after the cancellation, confirmed and rejected both.
   */
  outOfSequence: string[];
  /** Order CONFIRMED (its order.confirmed's confirmedAt) to the first copy of its confirmation email accepted by SMTP, all orders. */
  latencySeconds: Percentiles | null;
  /** The same for the orders confirmed at least UNDISTURBED_MS before the first fault: the path without faults. */
  latencyBeforeFaultSeconds: Percentiles | null;
}

export interface Percentiles {
  p50: number;
  p99: number;
}

interface FinalOrder {
  id: string;
  status: string;
  customer_email: string;
  /** When it was CONFIRMED (its order.confirmed's confirmedAt; updated_at moves on with the capture), else null. */
  confirmed_at: Date | null;
}

/**
 * Waits until every email the accepted orders' final statuses call for was accepted by the SMTP
 * server (or the timeout passes), then until the mail is quiet, and counts by Message-ID what was
 * lost, what arrived twice and what should not have been sent. Call it after checkPromise: the
 * orders are final by then.
 */
export async function checkEmails(system: SystemDriver, acceptedIds: string[], timeoutMs: number, firstFault?: Date): Promise<EmailReport> {
  const { rows: orders } = await system.sql('orders').query<FinalOrder>(
    `SELECT o.id, o.status, o.customer_email, c.confirmed_at
       FROM orders o
       LEFT JOIN (SELECT DISTINCT ON (payload->>'orderId') payload->>'orderId' AS id, (payload->>'confirmedAt')::timestamptz AS confirmed_at
                  FROM outbox WHERE routing_key = 'order.confirmed' ORDER BY payload->>'orderId', created_at) c ON c.id = o.id::text
       WHERE o.id = ANY($1::uuid[])`,
    [acceptedIds],
  );
  const expected = new Map<string, FinalOrder>();
  const optional = new Map<string, FinalOrder>();
  for (const order of orders) {
    expected.set(`received.${order.id}`, order);
    if (order.status === 'CONFIRMED') expected.set(`confirmed.${order.id}`, order);
    if (order.status === 'REJECTED') expected.set(`rejected.${order.id}`, order);
    if (order.status === 'CANCELLED') {
      expected.set(`cancelled.${order.id}`, order);
      optional.set(`confirmed.${order.id}`, order);
    }
  }

  const deadline = Date.now() + timeoutMs;
  let emails = await system.emails();
  let lastCount = -1;
  let quietSince = Date.now();
  for (;;) {
    const seen = new Set(emails.map((email) => keyOf(email)));
    const missing = [...expected.keys()].filter((key) => !seen.has(key)).length;
    if (emails.length !== lastCount) {
      lastCount = emails.length;
      quietSince = Date.now();
    }
    const queued = [...(await queueDepths(system, workQueues(system)).catch(() => new Map([['?', 1]]))).values()].reduce((sum, n) => sum + n, 0);
    if (missing === 0 && queued === 0 && Date.now() - quietSince >= QUIET_MS) break;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    emails = await system.emails();
  }

  const copies = new Map<string, AcceptedEmail[]>();
  const wrong: string[] = [];
  for (const email of emails) {
    const key = keyOf(email);
    if (!key) {
      wrong.push(`an email with Message-ID ${email.messageId || '(none)'} (X-Shop-Event ${email.event || '(none)'})`);
      continue;
    }
    copies.set(key, [...(copies.get(key) ?? []), email]);
  }
  for (const [key, sent] of copies) {
    const order = expected.get(key) ?? optional.get(key);
    const [kind, orderId] = key.split(/\.(.*)/s) as [Kind, string];
    if (!order) {
      wrong.push(`${key}: sent, but order ${orderId} is ${orders.find((row) => row.id === orderId)?.status ?? 'not an accepted order'}`);
      continue;
    }
    for (const email of sent) {
      if (email.orderId !== orderId || email.event !== EVENT_OF_KIND[kind])
        wrong.push(`${key}: X-Shop-Order-Id ${email.orderId || '(none)'}, X-Shop-Event ${email.event || '(none)'}`);
      if (!email.recipients.includes(order.customer_email)) wrong.push(`${key}: sent to ${email.recipients.join(', ')}, not to ${order.customer_email}`);
    }
  }

  const latencies = (confirmedBefore: number) =>
    percentiles(
      orders
        .filter(
          (order) =>
            order.status === 'CONFIRMED' && order.confirmed_at && copies.has(`confirmed.${order.id}`) && order.confirmed_at.getTime() < confirmedBefore,
        )
        .map((order) => (copies.get(`confirmed.${order.id}`)![0].receivedAt.getTime() - order.confirmed_at!.getTime()) / 1000),
    );

  return {
    expected: expected.size,
    accepted: emails.length,
    optional: [...optional.keys()].filter((key) => copies.has(key)).length,
    lost: [...expected.keys()].filter((key) => !copies.has(key)),
    duplicated: [...copies.values()].reduce((sum, sent) => sum + sent.length - 1, 0),
    wrong,
    outOfSequence: outOfSequence(emails),
    latencySeconds: latencies(Infinity),
    latencyBeforeFaultSeconds: firstFault ? latencies(firstFault.getTime() - UNDISTURBED_MS) : null,
  };
}

/**
 * The emails that reached the mail server out of their order's sequence, as `{kind}.{orderId}` with
 * what came before it. Per order, in the order the server accepted them, each kind's first copy
 * (later copies are duplicates, counted as such) must not follow an email of a later rank
 * (received 1 < confirmed | rejected 2 < cancelled 3): no decision before the receipt, no
 * confirmation after the cancellation; and an order gets confirmed or rejected, never both.
 */
export function outOfSequence(emails: AcceptedEmail[]): string[] {
  const arrived = [...emails].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
  const seen = new Map<string, Kind[]>();
  const violations: string[] = [];
  for (const email of arrived) {
    const match = MESSAGE_ID.exec(email.messageId);
    if (!match) continue;
    const [kind, orderId] = [match[1] as Kind, match[2]];
    const before = seen.get(orderId) ?? [];
    if (before.includes(kind)) continue;
    const later = before.filter((other) => RANK[other] > RANK[kind] || (RANK[other] === 2 && RANK[kind] === 2));
    if (later.length > 0) violations.push(`${kind}.${orderId}: after ${later.join(', ')}`);
    seen.set(orderId, [...before, kind]);
  }
  return violations;
}

/** `{kind}.{orderId}` from the Message-ID, or null when it is not one of the shop's. */
function keyOf(email: AcceptedEmail): string | null {
  const match = MESSAGE_ID.exec(email.messageId);
  return match ? `${match[1]}.${match[2]}` : null;
}

/** Nearest-rank p50 and p99, rounded to 0.01 s; null for no values. */
function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] * 100) / 100;
  return { p50: at(0.5), p99: at(0.99) };
}
