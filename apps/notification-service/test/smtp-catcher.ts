import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One email as the SMTP server received it, its headers and decoded bodies. */
export interface CaughtEmail {
  envelopeTo: string[];
  headers: Map<string, string>;
  text: string;
  html: string;
}

/**
 * A real SMTP server on 127.0.0.1 (the `smtp-server` package): it receives what the service sends
 * over the wire. A recipient whose address starts with `refused` gets a permanent 550; while
 * `busy` is above 0 each new connection gets a 421 (and `busy` counts down). `emails` is in the
 * order of arrival; `replyDelayMs` holds the server's 250 after an email arrived (a slow server,
 * which widens the windows in which concurrent sends could overtake each other).
 */
export class SmtpCatcher {
  readonly emails: CaughtEmail[] = [];
  /** Connections opened to this server, refused ones included. */
  connections = 0;
  busy = 0;
  replyDelayMs = 0;
  private server: SMTPServer | null = null;
  port = 0;

  async start(port = this.port): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 100,
      onConnect: (_session, callback) => {
        this.connections++;
        if (this.busy > 0) {
          this.busy--;
          return callback(Object.assign(new Error('Service busy, try again later'), { responseCode: 421 }));
        }
        callback();
      },
      onRcptTo: (address, _session, callback) => {
        if (address.address.startsWith('refused')) {
          return callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: mailbox unavailable`), { responseCode: 550 }));
        }
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          this.emails.push({ envelopeTo: session.envelope.rcptTo.map((to) => to.address), ...parseEmail(Buffer.concat(chunks).toString('latin1')) });
          if (this.replyDelayMs > 0) setTimeout(callback, this.replyDelayMs);
          else callback();
        });
      },
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
  }

  /** Stops listening and drops open connections (the server is down). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * While the server is down: a process that accepts on its port and closes every connection at
   * once (a crashed mail server behind its address), counting them.
   */
  async deadServer(): Promise<{ connections: () => number; stop: () => Promise<void> }> {
    let connections = 0;
    const dead: Server = createTcpServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dead.listen(this.port, '127.0.0.1', resolve));
    return { connections: () => connections, stop: () => new Promise<void>((resolve) => dead.close(() => resolve())) };
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The emails whose X-Shop-Order-Id is this order. */
  emailsOf(orderId: string): CaughtEmail[] {
    return this.emails.filter((email) => email.headers.get('x-shop-order-id') === orderId);
  }
}

/** Just enough MIME for the tests: unfolded headers, the text/plain and text/html parts decoded. */
function parseEmail(raw: string): Omit<CaughtEmail, 'envelopeTo'> {
  const { headers, body } = splitPart(raw);
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1).map(splitPart) : [{ headers, body }];
  const bodyOf = (type: string) => {
    const part = parts.find((candidate) => (candidate.headers.get('content-type') ?? '').startsWith(type));
    return part ? decode(part.body, part.headers.get('content-transfer-encoding') ?? '7bit') : '';
  };
  return { headers, text: bodyOf('text/plain'), html: bodyOf('text/html') };
}

function splitPart(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  const head = raw
    .slice(0, at)
    .replace(/^\r\n/, '')
    .replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map(
    head.split('\r\n').map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as [string, string];
    }),
  );
  return { headers, body: raw.slice(at + 4) };
}

function decode(body: string, encoding: string): string {
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/quoted-printable/i.test(encoding)) {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return Buffer.from(body, 'latin1').toString('utf8');
}
