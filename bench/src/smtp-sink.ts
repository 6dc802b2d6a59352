import { freePort } from '@shop/testing';
import { SMTPServer } from 'smtp-server';

/**
 * The bench's mail server: a real SMTP server (`smtp-server`, as the e2e catcher) in this process on
 * 127.0.0.1, so notification-service sends its emails as deployed. It keeps, per email, only the
 * order it is about, its event and when it was accepted (the 250 after DATA): enough to count emails
 * per second and the time from an order confirmed to its email, without holding messages in memory.
 */
export class SmtpSink {
  /** Accept time (epoch ms) of the first email per `<orderId> <event>`; a second one counts as a duplicate. */
  private readonly accepted = new Map<string, number>();
  /** Every accepted message, duplicates included. */
  total = 0;
  duplicates = 0;

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpSink> {
    const port = await freePort();
    let sink: SmtpSink | undefined;
    const server = new SMTPServer({
      // A sink, like the e2e catcher: no TLS, no login, every sender and recipient accepted.
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onData(stream, _session, callback) {
        let head = '';
        stream.on('data', (chunk: Buffer) => {
          // The headers come first; the body is read and dropped.
          if (head.length < 16_384 && !head.includes('\r\n\r\n')) head += chunk.toString('utf8');
        });
        stream.on('end', () => {
          sink?.record(header(head, 'x-shop-order-id'), header(head, 'x-shop-event'), Date.now());
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    server.on('error', (err) => console.error(`smtp sink: ${err.message}`));
    sink = new SmtpSink(server, port);
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** When the first email of `event` about `orderId` was accepted (epoch ms). */
  acceptedAt(orderId: string, event: string): number | undefined {
    return this.accepted.get(`${orderId} ${event}`);
  }

  /** Emails accepted at or after `since` (epoch ms), duplicates left out. */
  acceptedSince(since: number): number[] {
    return [...this.accepted.values()].filter((at) => at >= since);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private record(orderId: string, event: string, at: number): void {
    this.total++;
    const key = `${orderId} ${event}`;
    if (this.accepted.has(key)) this.duplicates++;
    else this.accepted.set(key, at);
  }
}

/** One header's value from the raw header block (unfolded), or '' when absent. */
function header(raw: string, name: string): string {
  const block = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return '';
}
