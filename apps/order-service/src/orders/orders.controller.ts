import { Body, Controller, Get, Header, Headers, HttpCode, Inject, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import {
  CANCEL_TOKEN_HEADER,
  cancelOrderRequestSchema,
  cancelTokenSchema,
  createOrderRequestSchema,
  idempotencyKeySchema,
  IDEMPOTENCY_KEY_HEADER,
  noQuerySchema,
  type CancelOrderRequest,
  type CreateOrderRequest,
  type OrderView,
  type PlacedOrderView,
} from '@shop/contracts';
import { ZodValidationPipe } from '@shop/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { orderIdPipe } from './order-id.pipe';
import { writeOrderEvents } from './order-events.response';
import { ORDER_STREAM_SETTINGS, OrderStatusStream, type OrderStreamSettings } from './order-status.stream';
import { OrderStreamAdmission } from './order-stream-admission.guard';
import { OrdersService } from './orders.service';
import { sessionIdOf } from '../sessions/session-cookie';
import { SessionsService } from '../sessions/sessions.service';
import { ShopperEmail, ShopperSessionGuard } from '../sessions/shopper-session.guard';

/** The listing takes no parameter: whose orders comes from the session, never from the request. */
const noQueryPipe = new ZodValidationPipe(noQuerySchema);
/** An order holds a shopper's name and email: no browser or proxy cache may keep a copy. */
const CUSTOMER_DATA_CACHE_CONTROL = 'no-store';
const idempotencyKeyPipe = new ZodValidationPipe(idempotencyKeySchema, 'Idempotency-Key');
const cancelTokenPipe = new ZodValidationPipe(cancelTokenSchema, CANCEL_TOKEN_HEADER);
/** The cancel's body is optional: none at all is no reason. */
const cancelBodyPipe = new ZodValidationPipe(cancelOrderRequestSchema.optional());

@Controller('api/orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly statusStream: OrderStatusStream,
    private readonly sessions: SessionsService,
    @Inject(ORDER_STREAM_SETTINGS) private readonly streamSettings: OrderStreamSettings,
  ) {}

  /**
   * 201 with the PENDING order as soon as it is stored, and its cancelToken; the same key and body
   * again returns the same order (and the same token).
   */
  @Post()
  @Header('Cache-Control', CUSTOMER_DATA_CACHE_CONTROL)
  async placeOrder(
    @Headers(IDEMPOTENCY_KEY_HEADER) rawIdempotencyKey: string | undefined,
    @Body(new ZodValidationPipe(createOrderRequestSchema)) request: CreateOrderRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PlacedOrderView> {
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
   * The shopper cancels: authorized by the `cancel-token` header (the 201's cancelToken) or by the
   * session of the shopper whose order it is. 200 with the CANCELLED order, also when it already was;
   * 409 when it can no longer be cancelled; 401 without either credential, 403 with one that is not
   * the order's, 404 for no such order, 400 naming a malformed id, header or body field.
   */
  @Post(':id/cancel')
  @HttpCode(200)
  @Header('Cache-Control', CUSTOMER_DATA_CACHE_CONTROL)
  async cancelOrder(
    @Param('id', orderIdPipe) id: string,
    @Headers(CANCEL_TOKEN_HEADER) rawCancelToken: string | undefined,
    @Body(cancelBodyPipe) body: CancelOrderRequest | undefined,
    @Req() request: FastifyRequest,
  ): Promise<OrderView> {
    const cancelToken = rawCancelToken === undefined ? null : cancelTokenPipe.transform(rawCancelToken);
    const session = await this.sessions.current(sessionIdOf(request));
    const { order } = await this.orders.cancelOrder(id, { cancelToken, sessionEmail: session?.email ?? null }, body?.reason ?? null);
    return order;
  }

  /**
   * Server-sent events: the current status first, then each change (status, payment, stock given
   * back); the stream ends once nothing more will happen to the order (at once for one that is settled). OrderStreamAdmission answers 400, 404,
   * 429 or 503 before a stream opens.
   */
  @Get(':id/events')
  @UseGuards(OrderStreamAdmission)
  statusEvents(@Param('id', orderIdPipe) id: string, @Res() reply: FastifyReply): void {
    writeOrderEvents(reply, this.statusStream, id, this.streamSettings.heartbeatMs);
  }
}
