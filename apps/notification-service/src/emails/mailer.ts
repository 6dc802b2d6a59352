import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { context, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
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

/** What a send's span says besides the server (never the recipient: an address is personal data). */
export interface SendTrace {
  /** The context of the delivery the email answers (`deliveryContext`): the span sits in the order's trace. */
  parent: Context;
  /** The email's template: received, confirmed, rejected, cancelled, sign-in. */
  kind: string;
  /** The message the email answers. */
  messageId: string;
  orderId: string | null;
}

/** No maintained instrumentation knows nodemailer: its SMTP conversation is this span. */
const tracer = trace.getTracer('@shop/notification-service');

/**
 * The SMTP side, through nodemailer's pooled transport: a stream of order events is many emails
 * to one relay, and reusing a few open connections saves a TCP (and TLS) handshake and EHLO per
 * email; the pool reconnects by itself after the server comes back. Every wait is bounded by
 * `timeoutMs`, since a send runs inside its message's database transaction.
 */
@Injectable()
export class Mailer implements OnModuleDestroy {
  private readonly transport: Transporter;
  private readonly server: { 'server.address': string; 'server.port': number };

  constructor(@Inject(MAILER_SETTINGS) private readonly settings: MailerSettings) {
    const url = new URL(settings.smtpUrl);
    // nodemailer's defaults when the URL names no port.
    this.server = { 'server.address': url.hostname, 'server.port': Number(url.port) || (url.protocol === 'smtps:' ? 465 : 587) };
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

  /**
   * Resolves with the server's reply once it accepted the email; rejects with nodemailer's error (see
   * classifySmtpFailure). The send is a span `smtp send`, child of the delivery it answers.
   */
  async send(email: OutgoingEmail, about: SendTrace): Promise<string> {
    const span = tracer.startSpan(
      'smtp send',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          ...this.server,
          'shop.email.kind': about.kind,
          'messaging.message.id': about.messageId,
          ...(about.orderId ? { 'shop.order.id': about.orderId } : {}),
        },
      },
      about.parent,
    );
    try {
      const info = (await context.with(trace.setSpan(about.parent, span), () =>
        this.transport.sendMail({
          from: this.settings.from,
          to: email.to,
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId: email.messageId,
          headers: email.headers,
        }),
      )) as { response: string };
      return info.response;
    } catch (err) {
      failed(span, err, email.to.address);
      throw err;
    } finally {
      span.end();
    }
  }

  /** Whether the server answers and takes our login now (a fresh connection, apart from the pool). */
  async verify(): Promise<void> {
    await this.transport.verify();
  }

  onModuleDestroy(): void {
    this.transport.close();
  }
}

/** Marks the span failed with nodemailer's code and message; the server's reply often quotes the recipient, which the span must not carry. */
function failed(span: Span, err: unknown, recipient: string): void {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  const withoutRecipient = String(message ?? err).replace(new RegExp(recipient.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '<recipient>');
  const type = typeof code === 'string' ? code : err instanceof Error ? err.name : 'Error';
  span.setAttribute('error.type', type);
  span.recordException({ name: type, message: withoutRecipient });
  span.setStatus({ code: SpanStatusCode.ERROR, message: withoutRecipient });
}
