import { waitFor } from '@shop/testing';
import { offerOrders, placeOrders, round } from './load';
import { count, outboxRowOf, type Shop } from './shop';

export interface EmailRate {
  offeredPerSecond: number;
  confirmed: number;
  /** Emails (receipts and confirmations) accepted by the sink per second, from the first to the last. */
  emailsPerSecond: number;
  /** The order CONFIRMED (its order.confirmed outbox row, written in that transaction) → the sink accepted its confirmation email (ms). */
  p50ms: number;
  p99ms: number;
  maxMs: number;
  /**
   * POST → the confirmation email accepted (ms), what the shopper waits. At a rate the shop cannot
   * keep up with, confirmed → email alone moves with how fast the rest of the saga is: a quicker
   * confirmation waits longer behind the receipts still queued for notification-service.
   */
  postToEmailP50ms: number;
  postToEmailP99ms: number;
  /** Emails refused, dead-lettered or sent twice: 0 is the goal. */
  failed: number;
  duplicates: number;
}

export interface EmailResults {
  byRate: Record<string, EmailRate>;
  /** notification-service stopped while `orders` orders were confirmed, then started. */
  backlog: { orders: number; emails: number; emailsPerSecond: number; timeToEmptyS: number };
}

export interface EmailPlan {
  rates: readonly number[];
  seconds: number;
  backlogOrders: number;
  settleTimeoutMs: number;
}

/**
 * B12: whether email keeps up. At each offered rate, the time from each order confirmed to its
 * confirmation email accepted by the shop's SMTP sink, and the emails drained per second; then a
 * backlog: notification-service stopped, `backlogOrders` orders placed and confirmed, started again.
 */
export async function measureEmail(shop: Shop, plan: EmailPlan, log: (message: string) => void): Promise<EmailResults> {
  const byRate: Record<string, EmailRate> = {};
  for (const rate of plan.rates) {
    const tag = `email-${rate}`;
    const duplicatesBefore = shop.smtp.duplicates;
    await offerOrders({ url: shop.orders.url, rate, seconds: plan.seconds, tag });
    const confirmed = await settle(shop, tag, plan.settleTimeoutMs);
    const latencies = confirmed.map((order) => shop.smtp.acceptedAt(order.id, 'order.confirmed')! - +order.confirmed_at).sort((a, b) => a - b);
    const fromPost = confirmed.map((order) => shop.smtp.acceptedAt(order.id, 'order.confirmed')! - +order.created_at).sort((a, b) => a - b);
    const times = emailTimes(shop, confirmed);
    byRate[`r${rate}`] = {
      offeredPerSecond: rate,
      confirmed: confirmed.length,
      emailsPerSecond: perSecond(times),
      p50ms: percentile(latencies, 0.5),
      p99ms: percentile(latencies, 0.99),
      maxMs: round(latencies.at(-1) ?? NaN, 1),
      postToEmailP50ms: percentile(fromPost, 0.5),
      postToEmailP99ms: percentile(fromPost, 0.99),
      failed: await failed(shop),
      duplicates: shop.smtp.duplicates - duplicatesBefore,
    };
    log(`B12 email at ${rate}/s: ${JSON.stringify(byRate[`r${rate}`])}`);
    await shop.quiesce();
  }

  const tag = 'email-backlog';
  await shop.notifications.stop();
  const load = await placeOrders({ url: shop.orders.url, connections: 32, amount: plan.backlogOrders, seconds: 600, tag });
  await waitFor(async () => (await shop.pendingOrders(`${tag}@bench.example`)) === 0, {
    timeoutMs: plan.settleTimeoutMs,
    intervalMs: 250,
    what: `${tag} orders to be confirmed`,
  });
  await waitFor(async () => (await shop.unpublished()) === 0, {
    timeoutMs: plan.settleTimeoutMs,
    intervalMs: 200,
    what: 'the order events to reach the queue',
  });
  const startedAt = Date.now();
  await shop.notifications.start();
  const confirmed = await settle(shop, tag, plan.settleTimeoutMs);
  const times = emailTimes(shop, confirmed);
  const backlog = {
    orders: load.created,
    emails: times.length,
    emailsPerSecond: perSecond(times),
    timeToEmptyS: round((Math.max(...times) - startedAt) / 1000, 1),
  };
  log(`B12 email backlog: ${JSON.stringify(backlog)}`);
  await shop.quiesce();
  return { byRate, backlog };
}

/** Waits for every order tagged `tag` to be final and every CONFIRMED one to have its confirmation email; returns those. */
async function settle(shop: Shop, tag: string, timeoutMs: number): Promise<{ id: string; created_at: Date; confirmed_at: Date }[]> {
  const email = `${tag}@bench.example`;
  await waitFor(async () => (await shop.pendingOrders(email)) === 0, { timeoutMs, intervalMs: 250, what: `${tag} orders to be final` });
  // Not orders.updated_at: the capture that follows the confirmation updates the order again.
  const { rows } = await shop.ordersDb.query<{ id: string; created_at: Date; confirmed_at: Date }>(
    `SELECT o.id, o.created_at, m.created_at AS confirmed_at FROM orders o JOIN outbox m ON ${outboxRowOf('o', 'm')} AND m.routing_key = 'order.confirmed'
     WHERE o.customer_email = $1 AND o.status = 'CONFIRMED'`,
    [email],
  );
  await waitFor(async () => rows.every((order) => shop.smtp.acceptedAt(order.id, 'order.confirmed') !== undefined), {
    timeoutMs,
    intervalMs: 100,
    what: `the confirmation emails of ${tag}`,
  });
  return rows;
}

/** Accept times of the receipts and confirmations of these orders (those that arrived). */
function emailTimes(shop: Shop, orders: { id: string }[]): number[] {
  return orders.flatMap((order) => ['order.placed', 'order.confirmed'].flatMap((event) => shop.smtp.acceptedAt(order.id, event) ?? []));
}

function perSecond(times: number[]): number {
  if (times.length < 2) return 0;
  const span = (Math.max(...times) - Math.min(...times)) / 1000;
  return span > 0 ? Math.round(times.length / span) : 0;
}

/** Emails the mail server refused, and order events dead-lettered, so far. */
async function failed(shop: Shop): Promise<number> {
  const refused = await count(shop.notificationsDb, `SELECT count(*) FROM sent_emails WHERE status <> 'sent'`);
  const deadLettered = (await shop.queueDepths())['notifications.order-events.dlq'] ?? 0;
  return refused + deadLettered;
}

function percentile(sorted: number[], p: number): number {
  return round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN, 1);
}
