import { Injectable } from '@nestjs/common';
import type { TraceEntry } from '@shop/contracts';
import type { OrderTraceSource } from '@shop/service';
import { DataSource } from 'typeorm';
import { SentEmailsRepository } from './sent-emails.repository';

/** notification-service's own hops of an order: each email the mail server accepted or refused. */
@Injectable()
export class EmailsTraceSource implements OrderTraceSource {
  private readonly sentEmails = new SentEmailsRepository();

  constructor(private readonly dataSource: DataSource) {}

  async traceOf(orderId: string): Promise<TraceEntry[]> {
    const emails = await this.sentEmails.historyOf(this.dataSource.manager, orderId);
    return emails.map((email) => ({
      at: email.sentAt.toISOString(),
      step: 'email-sent',
      detail:
        email.status === 'sent'
          ? `"${email.kind}" email accepted by the mail server for ${email.recipient}`
          : `"${email.kind}" email refused by the mail server: ${email.smtpResponse}`,
    }));
  }
}
