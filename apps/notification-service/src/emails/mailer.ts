import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';

export interface MailerSettings {
  smtpUrl: string;
  from: string;
  timeoutMs: number;
  maxConnections: number;
}
export const MAILER_SETTINGS = Symbol('MAILER_SETTINGS');

/** What the mail server is handed: an order email or a sign-in link. */
export interface OutgoingEmail {
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
  /** Derived from the event, so a duplicate is recognisable. */
  messageId: string;
  headers: Record<string, string>;
}

/**
 * The SMTP side, through nodemailer's pooled transport: a stream of order events is many emails
 * to one relay, and reusing a few open connections saves a TCP (and TLS) handshake and EHLO per
 * email; the pool reconnects by itself after the server comes back. Every wait is bounded by
 * `timeoutMs`, since a send runs inside its message's database transaction.
 */
@Injectable()
export class Mailer implements OnModuleDestroy {
  private readonly transport: Transporter;

  constructor(@Inject(MAILER_SETTINGS) private readonly settings: MailerSettings) {
    this.transport = createTransport({
      url: settings.smtpUrl,
      pool: true,
      maxConnections: settings.maxConnections,
      connectionTimeout: settings.timeoutMs,
      greetingTimeout: settings.timeoutMs,
      socketTimeout: settings.timeoutMs,
      // One place retries: the queue's backoff. The pool's own requeue would hold the message (and its transaction) in a loop of its own.
      maxRequeues: 0,
    });
  }

  /** Emails that can be on their way at once. */
  get maxConnections(): number {
    return this.settings.maxConnections;
  }

  /** Resolves with the server's reply once it accepted the email; rejects with nodemailer's error (see classifySmtpFailure). */
  async send(email: OutgoingEmail): Promise<string> {
    const info = (await this.transport.sendMail({
      from: this.settings.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId: email.messageId,
      headers: email.headers,
    })) as { response: string };
    return info.response;
  }

  /** Whether the server answers and takes our login now (a fresh connection, apart from the pool). */
  async verify(): Promise<void> {
    await this.transport.verify();
  }

  onModuleDestroy(): void {
    this.transport.close();
  }
}
