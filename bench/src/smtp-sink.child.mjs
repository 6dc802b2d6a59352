// The bench's SMTP sink, in a process of its own so the load generator does not slow its replies:
// a real SMTP server (smtp-server) on 127.0.0.1 that accepts every message and writes one line per
// accepted message to stdout, `<orderId> <event> <epoch ms>`, keeping nothing else.
//   node smtp-sink.child.mjs <port>
import { SMTPServer } from 'smtp-server';

const port = Number(process.argv[2]);

/** One header's value from the raw header block (unfolded), or '-' when absent. */
function header(raw, name) {
  const block = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim() || '-';
  }
  return '-';
}

const server = new SMTPServer({
  // A sink, like the e2e catcher: no TLS, no login, every sender and recipient accepted.
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  disableReverseLookup: true,
  logger: false,
  onData(stream, _session, callback) {
    let head = '';
    stream.on('data', (chunk) => {
      // The headers come first; the body is read and dropped.
      if (head.length < 16_384 && !head.includes('\r\n\r\n')) head += chunk.toString('utf8');
    });
    stream.on('end', () => {
      process.stdout.write(`${header(head, 'x-shop-order-id')} ${header(head, 'x-shop-event')} ${Date.now()}\n`);
      callback();
    });
  },
});
server.on('error', (err) => {
  process.stderr.write(`smtp sink: ${err.message}\n`);
  if (!server.server.listening) process.exit(1);
});
server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
