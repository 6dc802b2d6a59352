import { Body, Controller, Get, Header, Headers, Inject, Param, Post, Query, Res, Sse, UseGuards, type MessageEvent } from '@nestjs/common';
import {
  createOrderRequestSchema,
  idempotencyKeySchema,
  IDEMPOTENCY_KEY_HEADER,
  type CreateOrderRequest,
  type OrderStatusEvent,
  type OrderView,
} from '@shop/contracts';
import { ZodValidationPipe } from '@shop/platform';
import type { FastifyReply } from 'fastify';
import { interval, map, merge, Observable, takeWhile } from 'rxjs';
import { z } from 'zod';
import { isFinal } from './order-status';
import { orderIdPipe } from './order-id.pipe';
import { ORDER_STREAM_SETTINGS, OrderStatusStream, type OrderStreamSettings } from './order-status.stream';
import { OrderStreamAdmission } from './order-stream-admission.guard';
import { OrdersService } from './orders.service';
import { ShopperEmail, ShopperSessionGuard } from '../sessions/shopper-session.guard';

/** The listing takes no parameter: whose orders comes from the session, never from the request. */
const noQueryPipe = new ZodValidationPipe(z.strictObject({}));
/** An order holds a shopper's name and email: no browser or proxy cache may keep a copy. */
const CUSTOMER_DATA_CACHE_CONTROL = 'no-store';
const idempotencyKeyPipe = new ZodValidationPipe(idempotencyKeySchema, 'Idempotency-Key');

@Controller('api/orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly statusStream: OrderStatusStream,
    @Inject(ORDER_STREAM_SETTINGS) private readonly streamSettings: OrderStreamSettings,
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

  /**
   * The signed-in shopper's orders, newest first: 401 without a session. Any query parameter (an
   * `?email=` of someone else, say) is a 400 naming it.
   */
  @Get()
  @Header('Cache-Control', CUSTOMER_DATA_CACHE_CONTROL)
  @UseGuards(ShopperSessionGuard)
  listMine(@Query(noQueryPipe) _query: Record<string, never>, @ShopperEmail() email: string): Promise<OrderView[]> {
    return this.orders.listForSession(email);
  }

  @Get(':id')
  @Header('Cache-Control', CUSTOMER_DATA_CACHE_CONTROL)
  getOrder(@Param('id', orderIdPipe) id: string): Promise<OrderView> {
    return this.orders.getOrder(id);
  }

  /**
   * Server-sent events: the current status first, then each change; the stream ends after a final
   * status (at once for an order that is already final). OrderStreamAdmission answers 400, 404,
   * 429 or 503 before a stream opens.
   */
  @Sse(':id/events')
  @UseGuards(OrderStreamAdmission)
  statusEvents(@Param('id', orderIdPipe) id: string): Observable<MessageEvent> {
    const statuses = this.statusStream.statusesOf(id).pipe(map((event): MessageEvent => ({ data: event })));
    const heartbeats = interval(this.streamSettings.heartbeatMs).pipe(map((): MessageEvent => ({ type: HEARTBEAT, data: '{}' })));
    return merge(statuses, heartbeats).pipe(takeWhile((message) => message.type === HEARTBEAT || !isFinal((message.data as OrderStatusEvent).status), true));
  }
}

const HEARTBEAT = 'heartbeat';
