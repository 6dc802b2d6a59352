import { z } from 'zod';
import { orderStatusSchema, timestampSchema } from './orders';

/**
 * The operators' API: dead letters, parked outbox rows, the audit, stuck orders and an order's
 * timeline. Every route sits behind `Authorization: Bearer <ADMIN_TOKEN>`; every action names its
 * operator in the `X-Operator` header. The console (storefront /operations) and `pnpm ops` call
 * exactly these, through the shop's one front door (nginx, or the Vite proxy in development).
 *
 * Each service keeps the dead letters of its own queues and its own parked outbox rows, under its own
 * prefix (`OPERATIONS_PREFIX`): nginx sends `/api/operations/inventory/` to inventory-service,
 * `/api/operations/notifications/` to notification-service, `/api/operations/payments/` to
 * payment-service, and the rest of `/api/operations/` to
 * order-service, which also serves the stuck orders and the timelines (it asks the others).
 */
export const OPERATED_SERVICES = ['orders', 'inventory', 'notifications', 'payments'] as const;
export type OperatedService = (typeof OPERATED_SERVICES)[number];

export const OPERATIONS_PREFIX: Record<OperatedService, string> = {
  orders: '/api/operations/orders',
  inventory: '/api/operations/inventory',
  notifications: '/api/operations/notifications',
  payments: '/api/operations/payments',
};

/** Who acts: a name sent with every action (audited), 1-100 printable characters. */
export const OPERATOR_HEADER = 'x-operator';
export const operatorSchema = z
  .string()
  .trim()
  .min(1, 'must name the operator')
  .max(100, 'must be at most 100 characters')
  .refine((name) => ![...name].some((char) => char < ' ' || char === '\u007f'), 'may not hold control characters');

export const DEAD_LETTER_STATUSES = ['open', 'replayed', 'discarded'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

/** The open dead letters of one cause (queue + error class + normalised reason). */
export const deadLetterGroupViewSchema = z.object({
  fingerprint: z.string(),
  queue: z.string(),
  errorClass: z.string(),
  /** The reason of the most recent one. */
  reason: z.string(),
  count: z.number().int(),
  firstFailedAt: timestampSchema,
  lastFailedAt: timestampSchema,
});
export type DeadLetterGroupView = z.infer<typeof deadLetterGroupViewSchema>;

/**
 * What became of a replay: `pending` until the replayed message is published and handled; `applied`
 * when the consumer applied it (it had not been before); `duplicate` when it had been applied already
 * and the inbox dropped it; `failed-again` when it came back to the dead letters (`failedAgainAs`).
 */
export const REPLAY_OUTCOMES = ['pending', 'applied', 'duplicate', 'failed-again'] as const;
export type ReplayOutcome = (typeof REPLAY_OUTCOMES)[number];

export const deadLetterViewSchema = z.object({
  id: z.uuid(),
  /** Which service keeps it. */
  service: z.enum(OPERATED_SERVICES),
  queue: z.string(),
  messageId: z.string(),
  /** 0: the first failure; n: the n-th replay of it failed again (`replayOf` is the first failure). */
  replayCount: z.number().int(),
  replayOf: z.string().nullable(),
  routingKey: z.string(),
  messageType: z.string().nullable(),
  headers: z.record(z.string(), z.unknown()),
  /** Parsed JSON, or null when the body is not JSON (`body` holds it as received). */
  payload: z.unknown(),
  body: z.string(),
  reason: z.string(),
  errorClass: z.string(),
  lastError: z.string().nullable(),
  attempts: z.number().int(),
  firstFailedAt: timestampSchema,
  lastFailedAt: timestampSchema,
  fingerprint: z.string(),
  status: z.enum(DEAD_LETTER_STATUSES),
  resolvedAt: timestampSchema.nullable(),
  resolvedBy: z.string().nullable(),
  /** The order it concerns, when its payload names one. */
  orderId: z.string().nullable(),
  /** For a replayed one. */
  replay: z.object({ outcome: z.enum(REPLAY_OUTCOMES), failedAgainAs: z.string().nullable() }).nullable(),
});
export type DeadLetterView = z.infer<typeof deadLetterViewSchema>;

export const deadLetterListQuerySchema = z.strictObject({
  status: z.enum(DEAD_LETTER_STATUSES).optional(),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{16}$/, 'must be a 16-digit hex fingerprint')
    .optional(),
  orderId: z.uuid('must be a UUID').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type DeadLetterListQuery = z.infer<typeof deadLetterListQuerySchema>;

/** The id of a dead letter or of a parked outbox row, in an operator's path. */
export const recordIdSchema = z.uuid('must be a UUID');

/** Query of GET <prefix>/audit: the newest `limit` entries. */
export const auditQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });

/** POST .../dead-letters/:id/replay: back to the queue it died in, through the outbox, under its own message id. */
export const replayRequestSchema = z.strictObject({});

/**
 * POST .../dead-letters/replay: several at once, paced; either `ids` or a `fingerprint` (the group's
 * open ones). It stops once more than `maxFailures` of the replayed messages failed again.
 */
export const groupReplayRequestSchema = z
  .strictObject({
    ids: z.array(z.uuid('must be a UUID')).min(1, 'must name at least one dead letter').max(1000).optional(),
    fingerprint: z
      .string()
      .regex(/^[0-9a-f]{16}$/, 'must be a 16-digit hex fingerprint')
      .optional(),
    /** Messages per second published at most. */
    ratePerSecond: z.number().int().min(1).max(500).default(50),
    maxFailures: z.number().int().min(0).max(1000).default(10),
  })
  .refine((request) => (request.ids ? 1 : 0) + (request.fingerprint ? 1 : 0) === 1, { message: 'name either ids or a fingerprint', path: ['ids'] });
export type GroupReplayRequest = z.infer<typeof groupReplayRequestSchema>;

export const discardRequestSchema = z.strictObject({
  reason: z.string().trim().min(3, 'must say why (at least 3 characters)').max(500),
});
export type DiscardRequest = z.infer<typeof discardRequestSchema>;

/** POST .../dead-letters/:id/edit: a corrected payload, validated against the event's schema, sent as a new message. */
export const editRequestSchema = z.strictObject({
  payload: z.record(z.string(), z.unknown()),
  note: z.string().trim().max(500).optional(),
});
export type EditRequest = z.infer<typeof editRequestSchema>;

/** The answer to a replay, discard or edit of one dead letter. */
export const deadLetterActionResultSchema = z.object({
  deadLetter: deadLetterViewSchema,
  /** The message id sent (the original's for a replay, a new one for an edit); null for a discard. */
  messageId: z.string().nullable(),
  auditId: z.string(),
});
export type DeadLetterActionResult = z.infer<typeof deadLetterActionResultSchema>;

/** The answer to a group replay: it runs in the background; follow it in the audit and the group. */
export const groupReplayResultSchema = z.object({ replayId: z.string(), selected: z.number().int(), auditId: z.string() });
export type GroupReplayResult = z.infer<typeof groupReplayResultSchema>;

/** The answer to a retry or discard of a parked outbox row. */
export const parkedRowActionResultSchema = z.object({ auditId: z.string() });

/** An outbox row set aside after failing too often (unroutable, refused by the broker). */
export const parkedRowViewSchema = z.object({
  id: z.string(),
  service: z.enum(OPERATED_SERVICES),
  exchange: z.string(),
  routingKey: z.string(),
  payload: z.unknown(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  createdAt: timestampSchema,
  parkedAt: timestampSchema,
  orderId: z.string().nullable(),
});
export type ParkedRowView = z.infer<typeof parkedRowViewSchema>;

export const AUDIT_ACTIONS = ['replay', 'group-replay', 'discard', 'edit', 'retry-parked', 'discard-parked'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const auditEntryViewSchema = z.object({
  id: z.string(),
  service: z.enum(OPERATED_SERVICES),
  at: timestampSchema,
  operator: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  /** A dead letter id, an outbox row id or a fingerprint. */
  target: z.string(),
  detail: z.record(z.string(), z.unknown()),
  /** `done`, `refused: <why>`, or for a group replay its progress and end. */
  outcome: z.string(),
});
export type AuditEntryView = z.infer<typeof auditEntryViewSchema>;

/** Why an order stands still, as far as order-service can tell. */
export const stuckReasonSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('outbox-unpublished'), attempts: z.number().int(), lastError: z.string().nullable() }),
  z.object({ kind: z.literal('outbox-parked'), lastError: z.string().nullable(), parkedAt: timestampSchema }),
  z.object({ kind: z.literal('dead-letter'), service: z.enum(OPERATED_SERVICES), deadLetterId: z.string(), reason: z.string() }),
  z.object({ kind: z.literal('unknown'), note: z.string() }),
]);
export type StuckReason = z.infer<typeof stuckReasonSchema>;

export const stuckOrderViewSchema = z.object({
  orderId: z.uuid(),
  status: orderStatusSchema,
  createdAt: timestampSchema,
  ageSeconds: z.number(),
  reason: stuckReasonSchema,
});
export type StuckOrderView = z.infer<typeof stuckOrderViewSchema>;

export const stuckOrdersViewSchema = z.object({
  /** PENDING longer than this (ORDER_STUCK_AFTER_SECONDS) while the path is healthy. */
  stuckAfterSeconds: z.number(),
  /** False while inventory is offline or its queue is backed up: then nothing is called stuck, every order is merely late. */
  pathHealthy: z.boolean(),
  orders: z.array(stuckOrderViewSchema),
  /** What could not be asked (a service that did not answer), in words. */
  unknown: z.array(z.string()),
});
export type StuckOrdersView = z.infer<typeof stuckOrdersViewSchema>;

/** One hop as one service saw it, from its own tables (GET <prefix>/orders/:orderId/trace). */
export const traceEntrySchema = z.object({
  at: timestampSchema,
  /** See TimelineEntry.step. */
  step: z.string(),
  detail: z.string(),
});
export type TraceEntry = z.infer<typeof traceEntrySchema>;

export const serviceTraceViewSchema = z.object({ service: z.enum(OPERATED_SERVICES), orderId: z.uuid(), entries: z.array(traceEntrySchema) });
export type ServiceTraceView = z.infer<typeof serviceTraceViewSchema>;

/** One hop of an order's journey, from the services' own tables. */
export const timelineEntrySchema = z.object({
  at: timestampSchema,
  service: z.enum(OPERATED_SERVICES),
  /**
   * accepted, outbox-written, published, delivered, decided, result-published, applied, pushed,
   * email-sent, retried, dead-lettered, replayed, parked.
   */
  step: z.string(),
  detail: z.string(),
  /** Seconds since the previous entry. */
  sincePreviousSeconds: z.number().nullable(),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export const orderTimelineViewSchema = z.object({
  orderId: z.uuid(),
  status: orderStatusSchema,
  entries: z.array(timelineEntrySchema),
  /** Services that could not be asked, in words; their hops are missing. */
  unknown: z.array(z.string()),
  /**
   * The order's trace id (32 hex digits): the trace of the `traceparent` of its order.placed outbox
   * row, which the POST wrote, whether or not spans are exported. Null once the row is purged
   * (OUTBOX_RETENTION_HOURS).
   */
  traceId: z.string().nullable(),
  /** The trace in the tracing backend's UI (order-service's TRACE_URL_TEMPLATE); null when unset or there is no trace id. */
  traceUrl: z.string().nullable(),
});
export type OrderTimelineView = z.infer<typeof orderTimelineViewSchema>;
