import { ConflictException, Inject, Injectable, Logger, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import {
  eventSchemaFor,
  type AuditEntryView,
  type DeadLetterActionResult,
  type DeadLetterListQuery,
  type DeadLetterView,
  type GroupReplayRequest,
  type GroupReplayResult,
  type OperatedService,
  type ParkedRowView,
  type ReplayOutcome,
} from '@shop/contracts';
import { HEADERS, MESSAGING_OPTIONS, type MessagingOptions } from '@shop/messaging';
import { DeadLetterStore, OperatorAudit, OutboxService, type DeadLetter, type OperatorAction } from '@shop/outbox';
import { v5 as uuidv5 } from 'uuid';
import { DataSource, type EntityManager } from 'typeorm';
import { jsonDiff } from './json-diff';

export const OPERATED_SERVICE = Symbol('OPERATED_SERVICE');

/** Namespace of the ids of edited messages: uuid v5 of (original message id, revision), the same for the same edit. */
const EDITED_MESSAGE_NAMESPACE = '5b0c1c3e-8f65-4d35-9a0f-3f1f0c6a1e27';
/** Headers of a failed delivery that a replay must not carry: it starts its attempts afresh. */
const FAILURE_HEADERS = new Set<string>([
  HEADERS.attempt,
  HEADERS.transientFailures,
  HEADERS.lastError,
  HEADERS.deadLetterReason,
  HEADERS.deadLetteredFrom,
  HEADERS.errorClass,
  HEADERS.firstFailedAt,
  HEADERS.deadLetteredAt,
  HEADERS.replayOf,
  HEADERS.replayCount,
  HEADERS.replayedBy,
]);
/** A group replay that has not said how it goes for this long was stopped with its service. */
const GROUP_REPLAY_SILENT_AFTER_MS = 30_000;

/**
 * What an operator can do to the dead letters of this service's queues and to its parked outbox
 * rows, each action audited in the same transaction as its effect. A replay goes through the outbox
 * (it survives a crash and is confirmed by the broker) to the queue the message died in, under its
 * own message id, so a message that had been applied after all is dropped by the inbox: a replay
 * never applies anything twice.
 */
@Injectable()
export class DeadLetterOperations {
  private readonly logger = new Logger(DeadLetterOperations.name);
  private readonly audit = new OperatorAudit();

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: DeadLetterStore,
    private readonly outbox: OutboxService,
    @Inject(OPERATED_SERVICE) private readonly service: OperatedService,
    @Inject(MESSAGING_OPTIONS) private readonly messaging: MessagingOptions,
  ) {}

  async list(query: DeadLetterListQuery): Promise<DeadLetterView[]> {
    const letters = await this.store.list(query);
    return Promise.all(letters.map((letter) => this.view(letter)));
  }

  async get(id: string): Promise<DeadLetterView> {
    const letter = await this.store.find(id);
    if (!letter) throw new NotFoundException(`no dead letter ${id} in ${this.service}`);
    return this.view(letter);
  }

  /** Back to the queue it died in, through the outbox, under its own message id. */
  async replay(id: string, operator: string, group?: string): Promise<DeadLetterActionResult> {
    return this.act(id, 'replayed', operator, 'replay', async (manager, letter) => {
      if (letter.payload === null)
        throw new UnprocessableEntityException(`dead letter ${id}: its body is not JSON, so it cannot be replayed as it is; edit it instead`);
      await this.send(manager, letter, letter.messageId, letter.payload, operator);
      return {
        messageId: letter.messageId,
        detail: { queue: letter.queue, messageId: letter.messageId, replayCount: letter.replayCount + 1, ...(group && { group }) },
      };
    });
  }

  async discard(id: string, reason: string, operator: string): Promise<DeadLetterActionResult> {
    return this.act(id, 'discarded', operator, 'discard', async (_manager, letter) => ({
      messageId: null,
      detail: { queue: letter.queue, messageId: letter.messageId, reason },
    }));
  }

  /**
   * A corrected message: validated against its event's schema, sent under a new id derived from the
   * original and the revision (an edit of an edit is the next revision), with the diff audited.
   */
  async edit(id: string, payload: Record<string, unknown>, note: string | undefined, operator: string): Promise<DeadLetterActionResult> {
    return this.act(id, 'replayed', operator, 'edit', async (manager, letter) => {
      const type = letter.messageType ?? letter.routingKey;
      const schema = eventSchemaFor(type, letter.queue);
      if (!schema)
        throw new UnprocessableEntityException(`dead letter ${id}: no schema is known for "${type}" in ${letter.queue}, so an edit cannot be checked`);
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => ({ field: ['payload', ...issue.path.map(String)].join('.'), message: issue.message }));
        throw new UnprocessableEntityException({
          statusCode: 422,
          error: 'Unprocessable Entity',
          message: `the edited payload does not fit "${type}": ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}`,
          issues,
        });
      }
      const revision = letter.replayCount + 1;
      const messageId = uuidv5(`${letter.messageId}:edit:${revision}`, EDITED_MESSAGE_NAMESPACE);
      await this.send(manager, letter, messageId, payload, operator);
      return {
        messageId,
        detail: {
          queue: letter.queue,
          messageId: letter.messageId,
          editedMessageId: messageId,
          revision,
          note: note ?? null,
          diff: jsonDiff(letter.payload, payload),
        },
      };
    });
  }

  /**
   * Replays the chosen open dead letters in the background, at most `ratePerSecond`, and stops once
   * more than `maxFailures` of them failed again; the audit row says how it goes and how it ended.
   */
  async replayGroup(request: GroupReplayRequest, operator: string): Promise<GroupReplayResult> {
    const letters = request.ids
      ? (await Promise.all(request.ids.map((id) => this.store.find(id)))).filter((letter): letter is DeadLetter => letter?.status === 'open')
      : await this.store.list({ status: 'open', fingerprint: request.fingerprint, limit: 10_000 });
    if (letters.length === 0)
      throw new NotFoundException(request.ids ? 'none of these dead letters is open' : `no open dead letter in group ${request.fingerprint}`);
    const selection = request.ids ? { ids: request.ids.length } : { fingerprint: request.fingerprint };
    const auditId = await this.audit.record(this.dataSource.manager, {
      operator,
      action: 'group-replay',
      target: request.fingerprint ?? `${letters.length} dead letters`,
      detail: {
        ...selection,
        selected: letters.length,
        ratePerSecond: request.ratePerSecond,
        maxFailures: request.maxFailures,
        replayed: 0,
        progressAt: new Date(),
      },
      outcome: `running: 0 of ${letters.length} replayed`,
    });
    void this.runGroupReplay(auditId, letters, request, operator);
    return { replayId: auditId, selected: letters.length, auditId };
  }

  async auditLog(limit: number): Promise<AuditEntryView[]> {
    const actions = await this.audit.list(this.dataSource.manager, limit);
    return actions.map((action) => this.auditView(action));
  }

  async parked(): Promise<ParkedRowView[]> {
    const rows = await this.outbox.parked();
    return rows.map((row) => ({
      id: row.id,
      service: this.service,
      exchange: row.exchange,
      routingKey: row.routing_key,
      payload: row.payload,
      attempts: row.publish_attempts,
      lastError: row.last_error,
      createdAt: row.created_at.toISOString(),
      parkedAt: row.parked_at.toISOString(),
      orderId: orderIdOf(row.payload),
    }));
  }

  async retryParked(id: string, operator: string): Promise<{ auditId: string }> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await this.outbox.retryParked(id, manager))) {
        await this.refuse(operator, 'retry-parked', id, 'not parked (retried or discarded already, or no such row)');
        throw new ConflictException(`outbox row ${id} is not parked in ${this.service}`);
      }
      return { auditId: await this.audit.record(manager, { operator, action: 'retry-parked', target: id, detail: {}, outcome: 'done' }) };
    });
  }

  async discardParked(id: string, reason: string, operator: string): Promise<{ auditId: string }> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.outbox.discardParked(id, manager);
      if (!row) {
        await this.refuse(operator, 'discard-parked', id, 'not parked (retried or discarded already, or no such row)');
        throw new ConflictException(`outbox row ${id} is not parked in ${this.service}`);
      }
      const detail = { reason, exchange: row.exchange, routingKey: row.routing_key, payload: row.payload };
      return { auditId: await this.audit.record(manager, { operator, action: 'discard-parked', target: id, detail, outcome: 'done' }) };
    });
  }

  /** An action on one open dead letter: its effect, the resolution and the audit row in one transaction. */
  private async act(
    id: string,
    status: 'replayed' | 'discarded',
    operator: string,
    action: 'replay' | 'discard' | 'edit',
    effect: (manager: EntityManager, letter: DeadLetter) => Promise<{ messageId: string | null; detail: Record<string, unknown> }>,
  ): Promise<DeadLetterActionResult> {
    let auditId = '';
    let messageId: string | null = null;
    const done = await this.store.resolve(id, status, operator, async (manager, letter) => {
      const outcome = await effect(manager, letter);
      messageId = outcome.messageId;
      await this.store.setSentMessageId(manager, id, messageId);
      auditId = await this.audit.record(manager, { operator, action, target: id, detail: outcome.detail, outcome: 'done' });
    });
    if (!done) {
      const letter = await this.store.find(id);
      const why = letter ? `it is ${letter.status} already (by ${letter.resolvedBy} at ${letter.resolvedAt?.toISOString()})` : 'no such dead letter';
      await this.refuse(operator, action, id, why);
      if (!letter) throw new NotFoundException(`no dead letter ${id} in ${this.service}`);
      throw new ConflictException(`dead letter ${id} cannot be ${status === 'discarded' ? 'discarded' : 'sent again'}: ${why}`);
    }
    return { deadLetter: await this.get(id), messageId, auditId };
  }

  /** A refused action is audited too, in a transaction of its own (the action's rolled back). */
  private async refuse(operator: string, action: string, target: string, why: string): Promise<void> {
    await this.audit.record(this.dataSource.manager, { operator, action, target, detail: {}, outcome: `refused: ${why}` });
  }

  /** The outbox row that sends a message again to the queue `letter` died in, through the replay exchange. */
  private async send(manager: EntityManager, letter: DeadLetter, messageId: string, payload: unknown, operator: string): Promise<void> {
    const exchange = this.messaging.topology.queues.find((queue) => queue.name === letter.queue)?.replayExchange;
    if (!exchange)
      throw new UnprocessableEntityException(`dead letter ${letter.id}: ${letter.queue} is not one of ${this.service}'s queues with a replay exchange`);
    const headers = Object.fromEntries(
      Object.entries(letter.headers).filter(
        ([name]) => !FAILURE_HEADERS.has(name) && !name.startsWith('x-death') && !name.startsWith('x-first-death') && !name.startsWith('x-last-death'),
      ),
    );
    await this.outbox.addReplay(manager, {
      exchange,
      routingKey: letter.queue,
      messageId,
      type: letter.messageType ?? letter.routingKey,
      payload,
      headers: {
        ...headers,
        [HEADERS.replayOf]: letter.replayOf ?? letter.id,
        [HEADERS.replayCount]: letter.replayCount + 1,
        [HEADERS.replayedBy]: operator,
      },
    });
  }

  private async runGroupReplay(auditId: string, letters: DeadLetter[], request: GroupReplayRequest, operator: string): Promise<void> {
    const pauseMs = 1000 / request.ratePerSecond;
    const started = new Date();
    let replayed = 0;
    let outcome = '';
    try {
      for (const letter of letters) {
        const failedAgain = await this.store.failedAgainSince(
          letters.map((one) => one.replayOf ?? one.id),
          started,
        );
        if (failedAgain > request.maxFailures) {
          outcome = `stopped: ${failedAgain} replayed messages failed again (more than ${request.maxFailures}); ${replayed} of ${letters.length} replayed`;
          break;
        }
        try {
          await this.replay(letter.id, operator, auditId);
          replayed++;
        } catch (err) {
          // Resolved by someone else meanwhile: skipped, and audited as refused by replay().
          if (!(err instanceof ConflictException)) throw err;
        }
        if (replayed % 20 === 0)
          await this.audit.setOutcome(this.dataSource.manager, auditId, `running: ${replayed} of ${letters.length} replayed`, {
            replayed,
            progressAt: new Date(),
          });
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
      outcome ||= `done: ${replayed} of ${letters.length} replayed`;
    } catch (err) {
      outcome = `failed: ${(err as Error).message}; ${replayed} of ${letters.length} replayed`;
      this.logger.warn(`group replay ${auditId} ${outcome}`);
    }
    await this.audit.setOutcome(this.dataSource.manager, auditId, outcome, { replayed, progressAt: new Date() }).catch((err: Error) => {
      this.logger.warn(`group replay ${auditId} ended (${outcome}) but the audit could not say so: ${err.message}`);
    });
  }

  private async view(letter: DeadLetter): Promise<DeadLetterView> {
    return {
      id: letter.id,
      service: this.service,
      queue: letter.queue,
      messageId: letter.messageId,
      replayCount: letter.replayCount,
      replayOf: letter.replayOf,
      routingKey: letter.routingKey,
      messageType: letter.messageType,
      headers: letter.headers,
      payload: letter.payload,
      body: letter.body,
      reason: letter.reason,
      errorClass: letter.errorClass,
      lastError: letter.lastError,
      attempts: letter.attempts,
      firstFailedAt: letter.firstFailedAt.toISOString(),
      lastFailedAt: letter.lastFailedAt.toISOString(),
      fingerprint: letter.fingerprint,
      status: letter.status,
      resolvedAt: letter.resolvedAt?.toISOString() ?? null,
      resolvedBy: letter.resolvedBy,
      orderId: orderIdOf(letter.payload),
      replay: letter.status === 'replayed' ? await this.replayOutcome(letter) : null,
    };
  }

  /** Followed to its outcome: applied (the inbox took it after the replay), a duplicate (before), failed again, or not yet handled. */
  private async replayOutcome(letter: DeadLetter): Promise<{ outcome: ReplayOutcome; failedAgainAs: string | null }> {
    const { processedAt, failedAgainAs } = await this.store.replayTrace(letter);
    if (processedAt) return { outcome: letter.resolvedAt && processedAt < letter.resolvedAt ? 'duplicate' : 'applied', failedAgainAs: null };
    if (failedAgainAs) return { outcome: 'failed-again', failedAgainAs };
    return { outcome: 'pending', failedAgainAs: null };
  }

  private auditView(action: OperatorAction): AuditEntryView {
    const progressAt = typeof action.detail.progressAt === 'string' ? new Date(action.detail.progressAt) : null;
    const silent = action.outcome.startsWith('running') && progressAt !== null && Date.now() - progressAt.getTime() > GROUP_REPLAY_SILENT_AFTER_MS;
    return {
      id: action.id,
      service: this.service,
      at: action.at.toISOString(),
      operator: action.operator,
      action: action.action as AuditEntryView['action'],
      target: action.target,
      detail: action.detail,
      outcome: silent ? `interrupted (its service stopped): ${action.outcome.replace(/^running: /, '')}` : action.outcome,
    };
  }
}

/** The order a payload concerns, when it names one. */
export function orderIdOf(payload: unknown): string | null {
  const orderId = typeof payload === 'object' && payload !== null ? (payload as { orderId?: unknown }).orderId : undefined;
  return typeof orderId === 'string' ? orderId : null;
}
