import { Body, Controller, Get, Header, Headers, HttpCode, Param, Post, Query, UseGuards, type Type } from '@nestjs/common';
import {
  auditQuerySchema,
  deadLetterListQuerySchema,
  noQuerySchema,
  orderIdSchema,
  recordIdSchema,
  discardRequestSchema,
  editRequestSchema,
  groupReplayRequestSchema,
  OPERATOR_HEADER,
  operatorSchema,
  replayRequestSchema,
  type AuditEntryView,
  type DeadLetterActionResult,
  type DeadLetterGroupView,
  type DeadLetterListQuery,
  type DeadLetterView,
  type DiscardRequest,
  type EditRequest,
  type GroupReplayRequest,
  type GroupReplayResult,
  type ParkedRowView,
  type ServiceTraceView,
} from '@shop/contracts';
import { AdminTokenGuard, ZodValidationPipe } from '@shop/platform';
import { DeadLetterStore } from '@shop/outbox';
import { DeadLetterOperations } from './dead-letter-operations';
import { ServiceTrace } from './service-trace';

const idPipe = new ZodValidationPipe(recordIdSchema, 'id');
const orderIdPipe = new ZodValidationPipe(orderIdSchema, 'orderId');
const operatorPipe = new ZodValidationPipe(operatorSchema, 'X-Operator');
const auditQueryPipe = new ZodValidationPipe(auditQuerySchema);
const noQueryPipe = new ZodValidationPipe(noQuerySchema);

/**
 * The operators' routes of one service, under its prefix (`api/operations/inventory`...): its dead
 * letters, its parked outbox rows and its audit. Behind the admin token; every action names its
 * operator (X-Operator) and answers only once its effect and its audit row committed.
 */
export function operationsControllers(prefix: string): Type<unknown>[] {
  @Controller(`${prefix}/dead-letters`)
  @UseGuards(AdminTokenGuard)
  class DeadLettersController {
    constructor(
      private readonly operations: DeadLetterOperations,
      private readonly store: DeadLetterStore,
    ) {}

    @Get('groups')
    @Header('cache-control', 'no-store')
    async groups(@Query(noQueryPipe) _query: Record<string, never>): Promise<DeadLetterGroupView[]> {
      const groups = await this.store.groups();
      return groups.map((group) => ({ ...group, firstFailedAt: group.firstFailedAt.toISOString(), lastFailedAt: group.lastFailedAt.toISOString() }));
    }

    @Get()
    @Header('cache-control', 'no-store')
    list(@Query(new ZodValidationPipe(deadLetterListQuerySchema)) query: DeadLetterListQuery): Promise<DeadLetterView[]> {
      return this.operations.list(query);
    }

    @Get(':id')
    @Header('cache-control', 'no-store')
    get(@Param('id', idPipe) id: string): Promise<DeadLetterView> {
      return this.operations.get(id);
    }

    /** A group (`fingerprint`) or a selection (`ids`), paced, in the background: 202 with the audit row to follow. */
    @Post('replay')
    @HttpCode(202)
    replayGroup(
      @Headers(OPERATOR_HEADER) operator: string | undefined,
      @Body(new ZodValidationPipe(groupReplayRequestSchema)) request: GroupReplayRequest,
    ): Promise<GroupReplayResult> {
      return this.operations.replayGroup(request, operatorPipe.transform(operator));
    }

    @Post(':id/replay')
    @HttpCode(200)
    replay(
      @Param('id', idPipe) id: string,
      @Headers(OPERATOR_HEADER) operator: string | undefined,
      @Body(new ZodValidationPipe(replayRequestSchema)) _request: Record<string, never>,
    ): Promise<DeadLetterActionResult> {
      return this.operations.replay(id, operatorPipe.transform(operator));
    }

    @Post(':id/discard')
    @HttpCode(200)
    discard(
      @Param('id', idPipe) id: string,
      @Headers(OPERATOR_HEADER) operator: string | undefined,
      @Body(new ZodValidationPipe(discardRequestSchema)) request: DiscardRequest,
    ): Promise<DeadLetterActionResult> {
      return this.operations.discard(id, request.reason, operatorPipe.transform(operator));
    }

    @Post(':id/edit')
    @HttpCode(200)
    edit(
      @Param('id', idPipe) id: string,
      @Headers(OPERATOR_HEADER) operator: string | undefined,
      @Body(new ZodValidationPipe(editRequestSchema)) request: EditRequest,
    ): Promise<DeadLetterActionResult> {
      return this.operations.edit(id, request.payload, request.note, operatorPipe.transform(operator));
    }
  }

  @Controller(prefix)
  @UseGuards(AdminTokenGuard)
  class OperatorActionsController {
    constructor(
      private readonly operations: DeadLetterOperations,
      private readonly trace: ServiceTrace,
    ) {}

    /** This service's hops of an order, for its timeline (order-service puts the services' together). */
    @Get('orders/:orderId/trace')
    @Header('cache-control', 'no-store')
    traceOf(@Param('orderId', orderIdPipe) orderId: string): Promise<ServiceTraceView> {
      return this.trace.traceOf(orderId);
    }

    @Get('audit')
    @Header('cache-control', 'no-store')
    audit(@Query(auditQueryPipe) query: { limit: number }): Promise<AuditEntryView[]> {
      return this.operations.auditLog(query.limit);
    }

    @Get('outbox/parked')
    @Header('cache-control', 'no-store')
    parked(@Query(noQueryPipe) _query: Record<string, never>): Promise<ParkedRowView[]> {
      return this.operations.parked();
    }

    @Post('outbox/parked/:id/retry')
    @HttpCode(200)
    retryParked(
      @Param('id', idPipe) id: string,
      @Headers(OPERATOR_HEADER) operator: string | undefined,
      @Body(new ZodValidationPipe(replayRequestSchema)) _request: Record<string, never>,
    ): Promise<{ auditId: string }> {
      return this.operations.retryParked(id, operatorPipe.transform(operator));
    }

    @Post('outbox/parked/:id/discard')
    @HttpCode(200)
    discardParked(
      @Param('id', idPipe) id: string,
      @Headers(OPERATOR_HEADER) operator: string | undefined,
      @Body(new ZodValidationPipe(discardRequestSchema)) request: DiscardRequest,
    ): Promise<{ auditId: string }> {
      return this.operations.discardParked(id, request.reason, operatorPipe.transform(operator));
    }
  }

  return [DeadLettersController, OperatorActionsController];
}
