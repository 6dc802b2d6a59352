import { Body, Controller, Get, Header, Headers, Param, Post, Query, Res, Sse, type MessageEvent } from '@nestjs/common';
import {
  createOrderRequestSchema,
  customerEmailSchema,
  idempotencyKeySchema,
  IDEMPOTENCY_KEY_HEADER,
  type CreateOrderRequest,
  type OrderStatusEvent,
  type OrderView,
} from '@shop/contracts';
import { ZodValidationPipe } from '@shop/platform';
import type { FastifyReply } from 'fastify';
import { filter, from, interval, map, merge, Observable } from 'rxjs';
import { z } from 'zod';
import { isFinal } from './order-status';
import { OrderStatusStream } from './order-status.stream';
import { toStatusEvent } from './order.view';
import { OrdersService } from './orders.service';

const orderIdPipe = new ZodValidationPipe(z.uuid('must be an order id (uuid)'), 'id');
const emailQueryPipe = new ZodValidationPipe(
  z.string({ error: (issue) => (issue.input === undefined ? 'query parameter is required' : 'must be one email address') }).pipe(customerEmailSchema),
  'email',
);
/** An order holds a shopper's name and email: no browser or proxy cache may keep a copy. */
const CUSTOMER_DATA_CACHE_CONTROL = 'no-store';
const idempotencyKeyPipe = new ZodValidationPipe(idempotencyKeySchema, 'Idempotency-Key');
const HEARTBEAT_MS = 20_000;

@Controller('api/orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly statusStream: OrderStatusStream,
  ) {}

  /** 201 with the PENDING order as soon as it is stored; the same key and body again returns the same order. */
  @Post()
  @Header('Cache-Control', CUSTOMER_DATA_CACHE_CONTROL)
  async placeOrder(
    @Headers(IDEMPOTENCY_KEY_HEADER) rawIdempotencyKey: string | undefined,
    @Body(new ZodValidationPipe(createOrderRequestSchema)) request: CreateOrderRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    const idempotencyKey = idempotencyKeyPipe.transform(rawIdempotencyKey);
    const { order, replayed } = await this.orders.placeOrder(idempotencyKey, request);
    reply.header('Location', `/api/orders/${order.id}`);
    if (replayed) reply.header('Idempotent-Replayed', 'true');
    return order;
  }

  @Get()
  @Header('Cache-Control', CUSTOMER_DATA_CACHE_CONTROL)
  listByEmail(@Query('email', emailQueryPipe) email: string): Promise<OrderView[]> {
    return this.orders.listByEmail(email);
  }

  @Get(':id')
  @Header('Cache-Control', CUSTOMER_DATA_CACHE_CONTROL)
  getOrder(@Param('id', orderIdPipe) id: string): Promise<OrderView> {
    return this.orders.getOrder(id);
  }

  /**
   * Server-sent events: the current status first, then each change until a final one. Live changes
   * are subscribed before the current status is read again, so none falls in between.
   */
  @Sse(':id/events')
  async statusEvents(@Param('id', orderIdPipe) id: string): Promise<Observable<MessageEvent>> {
    await this.orders.getOrder(id); // 404 before the stream opens
    const statuses = merge(this.statusStream.changesOf(id), from(this.orders.getOrder(id)).pipe(map(toStatusEvent))).pipe(filter(onlyForward()));
    const heartbeats = interval(HEARTBEAT_MS).pipe(map((): MessageEvent => ({ type: 'heartbeat', data: '{}' })));
    return merge(statuses.pipe(map((event): MessageEvent => ({ data: event }))), heartbeats);
  }
}

/** Drops repeats and anything after a final status (a stale read can arrive after a live change). */
function onlyForward(): (event: OrderStatusEvent) => boolean {
  let last: OrderStatusEvent | null = null;
  return (event) => {
    if (last && (isFinal(last.status) || last.status === event.status)) return false;
    last = event;
    return true;
  };
}
