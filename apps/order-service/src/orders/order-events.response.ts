import type { OrderStatusEvent } from '@shop/contracts';
import type { FastifyReply } from 'fastify';
import type { OrderStatusStream } from './order-status.stream';

/** Sent while nothing happens to the order, so the browser, proxies and load balancers see the connection alive. */
const HEARTBEAT = 'event: heartbeat\ndata: {}\n\n';

/** One state of the order as a server-sent event (JSON has no raw line break, so one `data:` line holds it). */
const messageOf = (event: OrderStatusEvent): string => `data: ${JSON.stringify(event)}\n\n`;

/**
 * Answers with an order's server-sent events, written on the response itself: its status now, then
 * each change, a heartbeat every `heartbeatMs`, and the end once the order is settled. Per stream it
 * holds a callback, a timer and the socket: Nest's `@Sse` builds an RxJS operator chain per stream
 * (about 40 KB each). The guard admitted the stream (and set its `Cache-Control`); its place is
 * released when the response closes, as this stream's following is.
 */
export function writeOrderEvents(reply: FastifyReply, statusStream: OrderStatusStream, orderId: string, heartbeatMs: number): void {
  reply.hijack();
  const response = reply.raw;
  const socket = reply.request.raw.socket;
  // Each event goes out as it is written, and the connection's idle timeout does not cut a quiet stream.
  socket.setNoDelay(true);
  socket.setTimeout(0);
  // The headers set on the reply so far (the security headers, the guard's Cache-Control) go out with the stream's.
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) response.setHeader(name, value);
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    // Nginx (the storefront's proxy) would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  response.flushHeaders();

  let heartbeats: NodeJS.Timeout | undefined = undefined;
  const unfollow = statusStream.follow(orderId, {
    send: (event) => response.write(messageOf(event)),
    end: () => {
      clearInterval(heartbeats);
      response.end();
    },
  });
  if (response.writableEnded) return; // ended at once: the instance is shutting down
  // A client that stopped reading gets no more heartbeats piled up behind the ones it has not taken.
  heartbeats = setInterval(() => {
    if (!response.writableNeedDrain) response.write(HEARTBEAT);
  }, heartbeatMs);
  const close = (): void => {
    clearInterval(heartbeats);
    unfollow();
  };
  response.once('close', close);
  response.on('error', close);
  if (response.destroyed || socket.destroyed) close(); // gone while the stream was admitted: no close is coming
}
