// The chaos suite's SMTP server: a child process the process driver kills and starts again (SMTP
// down), on 127.0.0.1 only. It accepts every message and appends one JSON line per accepted message
// to a file, so what it received survives its own restarts.
//   node smtp-catcher.child.mjs <port> <file.jsonl>
import { appendFileSync } from 'node:fs';
import { SMTPServer } from 'smtp-server';

const [port, file] = process.argv.slice(2);
if (!port || !file) {
  process.stderr.write('usage: node smtp-catcher.child.mjs <port> <file.jsonl>\n');
  process.exit(2);
}

/** The header block (up to the first empty line), unfolded, names lower-cased. */
function headersOf(raw) {
  const block = raw.split(/\r?\n\r?\n/, 1)[0];
  const headers = new Map();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

const server = new SMTPServer({
  // A catcher, like MailDev: no TLS, no login, every sender and recipient accepted.
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      const headers = headersOf(Buffer.concat(chunks).toString('utf8'));
      // Written before the 250 reply: a message recorded here and then lost with this process was
      // not accepted, so the sender sends it again and it counts as a duplicate, never as delivered-but-missing.
      appendFileSync(
        file,
        `${JSON.stringify({
          messageId: headers.get('message-id') ?? '',
          orderId: headers.get('x-shop-order-id') ?? '',
          event: headers.get('x-shop-event') ?? '',
          recipients: session.envelope.rcptTo.map((recipient) => recipient.address),
          receivedAt: new Date().toISOString(),
        })}\n`,
      );
      callback();
    });
  },
});

server.on('error', (err) => {
  process.stderr.write(`smtp-catcher: ${err.message}\n`);
  // Not listening (the port is taken): exit, so the driver says so instead of waiting.
  if (!server.server.listening) process.exit(1);
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`listening on 127.0.0.1:${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
