import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { orderIdPipe } from './order-id.pipe';
import { ORDER_STREAM_SETTINGS, OrderStatusStream, type OrderStreamSettings } from './order-status.stream';
import { OrdersService } from './orders.service';

/** What a client past the instance's stream cap is told to wait before trying again. */
export const STREAMS_FULL_RETRY_AFTER_S = 10;

/**
 * Admits a request for an order's event stream before anything is streamed: 400 for a malformed id,
 * 404 for an unknown order, 429 past the client's cap, 503 with Retry-After past the instance's, each
 * with a JSON body. (In the handler, such an error comes after the 200 once an interceptor defers
 * the handler, as a global one does.) An admitted stream holds its place until its response closes,
 * whichever way it ends.
 */
@Injectable()
export class OrderStreamAdmission implements CanActivate {
  constructor(
    private readonly orders: OrdersService,
    private readonly statusStream: OrderStatusStream,
    @Inject(ORDER_STREAM_SETTINGS) private readonly settings: OrderStreamSettings,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest<{ Params: { id?: string } }>>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    reply.header('Cache-Control', 'no-store');
    const id = orderIdPipe.transform(request.params.id);
    await this.orders.getOrder(id);

    const slot = this.statusStream.open(id, request.ip);
    if (slot === 'client-cap') {
      throw new HttpException(
        {
          statusCode: 429,
          error: 'Too Many Requests',
          message: `at most ${this.settings.maxPerClient} order event streams may be open per client (SSE_MAX_STREAMS_PER_CLIENT); close one first`,
          limit: 'SSE_MAX_STREAMS_PER_CLIENT',
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    if (slot === 'total-cap') {
      reply.header('Retry-After', String(STREAMS_FULL_RETRY_AFTER_S));
      throw new HttpException(
        {
          statusCode: 503,
          error: 'Service Unavailable',
          message: `this instance holds its maximum of ${this.settings.maxTotal} open order event streams (SSE_MAX_STREAMS); retry later`,
          limit: 'SSE_MAX_STREAMS',
        },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    reply.raw.once('close', () => slot.release());
    if (request.raw.socket.destroyed) slot.release(); // left while the order was read: no close is coming
    return true;
  }
}
