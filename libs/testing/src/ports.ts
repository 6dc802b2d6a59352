import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The ports the kernel hands to outgoing connections (Linux; the usual range elsewhere). */
function ephemeralPorts(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return { low, high };
  } catch {
    // not Linux
  }
  return { low: 32768, high: 60999 };
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Every port freePort handed out in this process: a caller may not have bound it yet. */
const handedOut = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, for a server a test starts. It is
 * chosen below the ephemeral range: a port from `listen(0)` is an ephemeral one, and any outgoing
 * connection (a service's database pool, its broker link) can take it before the server that was
 * meant to bind it starts, which fails that start with EADDRINUSE. Never the same port twice in
 * one process: a driver picks all of a stack's ports before any of them is bound (compose binds
 * them minutes later, after its builds), and two picks of one port would fail the second server.
 */
export async function freePort(): Promise<number> {
  const { low, high } = ephemeralPorts();
  // The widest stretch of the unprivileged ports outside the ephemeral range.
  const [from, to] = low - 10_000 >= 65_535 - high ? [10_000, low - 1] : [high + 1, 65_535];
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${from} and ${to}`);
}
