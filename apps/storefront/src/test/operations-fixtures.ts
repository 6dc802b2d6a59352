import type { AuditEntryView, DeadLetterGroupView, DeadLetterView, OperatedService, OrderTimelineView, OrderView, ParkedRowView } from '@shop/contracts';

/** Views of the operators' API as the services answer them, for the console's tests. */
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

export function deadLetterGroup(overrides: Partial<DeadLetterGroupView> = {}): DeadLetterGroupView {
  return {
    fingerprint: '0123456789abcdef',
    queue: 'orders.stock-results',
    errorClass: 'ValidationError',
    reason: 'payload.lines.0.quantity must be a whole number',
    count: 3,
    firstFailedAt: minutesAgo(125),
    lastFailedAt: minutesAgo(4),
    ...overrides,
  };
}

export function deadLetter(overrides: Partial<DeadLetterView> = {}): DeadLetterView {
  const payload = { orderId: ORDER_ID, lines: [{ sku: 'MUG-001', quantity: 1.5 }] };
  return {
    id: 'd1e2a3d4-0000-4000-8000-000000000001',
    service: 'orders',
    queue: 'orders.stock-results',
    messageId: 'm1e2s3s4-0000-4000-8000-000000000001',
    replayCount: 0,
    replayOf: null,
    routingKey: 'stock.reserved',
    messageType: 'StockReserved',
    headers: { 'x-death-reason': 'payload.lines.0.quantity must be a whole number' },
    payload,
    body: JSON.stringify(payload),
    reason: 'payload.lines.0.quantity must be a whole number',
    errorClass: 'ValidationError',
    lastError: 'ZodError: lines.0.quantity',
    attempts: 5,
    firstFailedAt: minutesAgo(125),
    lastFailedAt: minutesAgo(4),
    fingerprint: '0123456789abcdef',
    status: 'open',
    resolvedAt: null,
    resolvedBy: null,
    orderId: ORDER_ID,
    replay: null,
    ...overrides,
  };
}

export const ORDER_ID = '0a0b0c0d-1111-4222-8333-444455556666';

export function order(status: OrderView['status']): OrderView {
  return {
    id: ORDER_ID,
    status,
    statusReason: null,
    payment: null,
    stockReleased: false,
    cancellable: false,
    customer: { name: 'Ada', email: 'ada@example.com' },
    lines: [{ sku: 'MUG-001', name: 'Mug', quantity: 1, unitPriceCents: 1200 }],
    totalCents: 1200,
    createdAt: minutesAgo(130),
    updatedAt: minutesAgo(120),
  };
}

export function parkedRow(service: OperatedService, overrides: Partial<ParkedRowView> = {}): ParkedRowView {
  return {
    id: `9a9b9c9d-0000-4000-8000-00000000000${service.length}`,
    service,
    exchange: 'shop.events',
    routingKey: 'order.placed',
    payload: { orderId: ORDER_ID },
    attempts: 10,
    lastError: 'NO_ROUTE: unroutable',
    createdAt: minutesAgo(60),
    parkedAt: minutesAgo(30),
    orderId: ORDER_ID,
    ...overrides,
  };
}

export function auditEntry(service: OperatedService, at: string, overrides: Partial<AuditEntryView> = {}): AuditEntryView {
  return { id: `${service}-${at}`, service, at, operator: 'Ada', action: 'replay', target: 'd1e2a3d4', detail: {}, outcome: 'done', ...overrides };
}

/** An order's timeline of two hops, with its trace id and no link (order-service without TRACE_URL_TEMPLATE). */
export function orderTimeline(overrides: Partial<OrderTimelineView> = {}): OrderTimelineView {
  return {
    orderId: ORDER_ID,
    status: 'CONFIRMED',
    entries: [
      { at: minutesAgo(2), service: 'orders', step: 'accepted', detail: 'POST /api/orders', sincePreviousSeconds: null },
      { at: minutesAgo(1), service: 'inventory', step: 'decided', detail: 'reserved', sincePreviousSeconds: 60 },
    ],
    unknown: [],
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    traceUrl: null,
    ...overrides,
  };
}
