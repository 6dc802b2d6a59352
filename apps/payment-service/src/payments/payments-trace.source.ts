import { Injectable } from '@nestjs/common';
import type { TraceEntry } from '@shop/contracts';
import type { OrderTraceSource } from '@shop/service';
import { DataSource } from 'typeorm';
import { PaymentsRepository } from './payments.repository';

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

/** payment-service's own hops of an order: what the provider answered to each call that moved (or held) its money. */
@Injectable()
export class PaymentsTraceSource implements OrderTraceSource {
  private readonly payments = new PaymentsRepository();

  constructor(private readonly dataSource: DataSource) {}

  async traceOf(orderId: string): Promise<TraceEntry[]> {
    const payment = await this.payments.findPayment(this.dataSource.manager, orderId);
    if (!payment) return [];
    const entries: TraceEntry[] = [];
    if (payment.status === 'authorizing') {
      const amount = money(payment.amountCents!, payment.currency!);
      entries.push({
        at: payment.createdAt.toISOString(),
        step: 'retried',
        detail: `authorization of ${amount} asked for; no answer from the provider yet (asked again with the same key)`,
      });
    }
    if (payment.cancelledAt) {
      entries.push({
        at: payment.cancelledAt.toISOString(),
        step: 'decided',
        detail: 'cancelled before any authorization: a late order.reserved charges nothing',
      });
    }
    if (payment.authorizedAt) {
      const amount = money(payment.amountCents!, payment.currency!);
      entries.push({
        at: payment.authorizedAt.toISOString(),
        step: 'decided',
        detail:
          payment.declineCode === null
            ? `${amount} authorized at the provider (authorization ${payment.authorizationId})`
            : `payment of ${amount} declined by the provider: ${payment.declineReason} (${payment.declineCode})`,
      });
    }
    const later = [
      [payment.capturedAt, 'captured'],
      [payment.voidedAt, 'voided (the hold released, nothing charged)'],
      [payment.refundedAt, 'refunded'],
    ] as const;
    for (const [at, what] of later) {
      if (at) entries.push({ at: at.toISOString(), step: 'applied', detail: `${money(payment.amountCents!, payment.currency!)} ${what} at the provider` });
    }
    return entries;
  }
}
