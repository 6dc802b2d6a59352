import { useId, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { discardRequestSchema, editRequestSchema, type DeadLetterActionResult, type DeadLetterView, type OperatedService } from '@shop/contracts';
import { queryKeys } from '../api/queries';
import { shopApi } from '../api/shop-api';
import { formatDateTime } from '../format';
import { TextField } from '../layout/text-field';
import { ConfirmStep } from './confirm-step';
import { CONSOLE_KEY, useConsole } from './operations-queries';

type Action = 'replay' | 'edit' | 'discard';
type Send = { action: 'replay' } | { action: 'discard'; reason: string } | { action: 'edit'; payload: Record<string, unknown>; note?: string };

const DONE: Record<Action, string> = { replay: 'Replayed', edit: 'Sent the corrected payload', discard: 'Discarded' };

/** Replay, edit or discard one open dead letter, each after a confirmation step. */
export function DeadLetterActions({ deadLetter }: { deadLetter: DeadLetterView }) {
  const { api } = useConsole();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState<Action | null>(null);
  const [done, setDone] = useState<{ action: Action; result: DeadLetterActionResult } | null>(null);
  const mutation = useMutation({
    mutationFn: ({ send, operator }: { send: Send; operator: string }) => {
      const { service, id } = deadLetter;
      if (send.action === 'replay') return api.replay(service, id, operator);
      if (send.action === 'discard') return api.discard(service, id, send.reason, operator);
      return api.edit(service, id, { payload: send.payload, note: send.note }, operator);
    },
    onSuccess: (result, { send }) => {
      setDone({ action: send.action, result });
      setOpen(null);
      void queryClient.invalidateQueries({ queryKey: CONSOLE_KEY });
    },
  });
  const step = (action: Action) => ({
    onConfirm: (send: Send, operator: string) => mutation.mutate({ send, operator }),
    onCancel: () => {
      setOpen(null);
      mutation.reset();
    },
    pending: mutation.isPending,
    error: mutation.variables?.send.action === action ? mutation.error : null,
  });

  return (
    <div className="console-detail__actions">
      {done && (
        <p className="notice notice--neutral" role="status">
          {DONE[done.action]}
          {done.result.messageId && `: message ${done.result.messageId}`}. Audit entry {done.result.auditId}.
        </p>
      )}
      {deadLetter.status === 'open' && open === null && (
        <div className="console-card__actions">
          {(['replay', 'edit', 'discard'] as const).map((action) => (
            <button key={action} type="button" className="button" onClick={() => setOpen(action)}>
              {action[0].toUpperCase() + action.slice(1)}…
            </button>
          ))}
        </div>
      )}
      {open === 'replay' && <ReplayStep deadLetter={deadLetter} {...step('replay')} />}
      {open === 'discard' && <DiscardStep {...step('discard')} />}
      {open === 'edit' && <EditStep deadLetter={deadLetter} {...step('edit')} />}
    </div>
  );
}

interface StepProps {
  onConfirm: (send: Send, operator: string) => void;
  onCancel: () => void;
  pending: boolean;
  error: Error | null;
}

function ReplayStep({ deadLetter, onConfirm, ...rest }: StepProps & { deadLetter: DeadLetterView }) {
  return (
    <ConfirmStep title="Replay this message?" confirmLabel="Replay" onConfirm={(operator) => onConfirm({ action: 'replay' }, operator)} {...rest}>
      <p>
        It goes back to <code>{deadLetter.queue}</code> under its own message id, through the outbox.
      </p>
      {deadLetter.orderId ? <OrderState orderId={deadLetter.orderId} service={deadLetter.service} /> : <p>The message names no order.</p>}
    </ConfirmStep>
  );
}

/** The order's state now, read from the shop's own order endpoint, so the operator knows what a replay can still change. */
function OrderState({ orderId, service }: { orderId: string; service: OperatedService }) {
  const order = useQuery({ queryKey: queryKeys.order(orderId), queryFn: () => shopApi.getOrder(orderId), retry: false });
  if (order.isPending) return <p className="muted">Asking order-service for the order&apos;s state…</p>;
  if (order.error) return <p className="notice notice--info">The order&apos;s state is unknown: order-service did not say ({order.error.message}).</p>;
  const { status, updatedAt } = order.data;
  if (status === 'PENDING') {
    return (
      <div className="notice notice--info">
        <p>
          The order is still <strong>pending</strong> (last changed {formatDateTime(updatedAt)}): this message may be what it waits for.
        </p>
      </div>
    );
  }
  const word = status === 'CONFIRMED' ? 'confirmed' : 'rejected';
  // A final order says nothing of its email: notification-service's dead letter may be the one email never sent.
  const consequence =
    service === 'notifications'
      ? 'a replay still sends what notification-service failed to send (its inbox drops it only if a copy was handled since).'
      : 'replaying will change nothing, the inbox drops a message already applied.';
  return (
    <div className="notice notice--info">
      <p>
        This order is already <strong>{word}</strong>; {consequence}
      </p>
    </div>
  );
}

function DiscardStep({ onConfirm, ...rest }: StepProps) {
  const id = useId();
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | undefined>();
  const confirm = (operator: string) => {
    const parsed = discardRequestSchema.safeParse({ reason });
    if (!parsed.success) return setReasonError(`Reason ${parsed.error.issues[0].message}`);
    onConfirm({ action: 'discard', reason: parsed.data.reason }, operator);
  };
  return (
    <ConfirmStep title="Discard this message?" confirmLabel="Discard" onConfirm={confirm} {...rest}>
      <p>It will never be delivered. The reason goes into the audit.</p>
      <TextField id={`${id}-reason`} label="Reason" value={reason} error={reasonError} onChange={(event) => setReason(event.target.value)} />
    </ConfirmStep>
  );
}

function EditStep({ deadLetter, onConfirm, ...rest }: StepProps & { deadLetter: DeadLetterView }) {
  const id = useId();
  const [text, setText] = useState(() => (deadLetter.payload === null ? deadLetter.body : JSON.stringify(deadLetter.payload, null, 2)));
  const [note, setNote] = useState('');
  const [textError, setTextError] = useState<string | undefined>();
  const confirm = (operator: string) => {
    const payload = parseObject(text);
    if (typeof payload === 'string') return setTextError(payload);
    const parsed = editRequestSchema.safeParse({ payload, note: note.trim() || undefined });
    if (!parsed.success) return setTextError(`Payload ${parsed.error.issues[0].message}`);
    setTextError(undefined);
    onConfirm({ action: 'edit', payload: parsed.data.payload, note: parsed.data.note }, operator);
  };
  return (
    <ConfirmStep title="Send a corrected payload?" confirmLabel="Send the corrected payload" onConfirm={confirm} {...rest}>
      <p>It is checked against the event&apos;s schema and sent as a new message; this dead letter is then resolved.</p>
      <div className={`field${textError ? ' field--invalid' : ''}`}>
        <label htmlFor={`${id}-payload`} className="field__label">
          Payload (JSON)
        </label>
        {textError && (
          <p id={`${id}-payload-error`} className="field__error">
            <span className="visually-hidden">Error:</span> {textError}
          </p>
        )}
        <textarea
          id={`${id}-payload`}
          className="field__input console-code"
          rows={12}
          spellCheck={false}
          value={text}
          aria-invalid={textError ? true : undefined}
          aria-describedby={textError ? `${id}-payload-error` : undefined}
          onChange={(event) => setText(event.target.value)}
        />
      </div>
      <TextField id={`${id}-note`} label="Note (optional)" value={note} onChange={(event) => setNote(event.target.value)} />
    </ConfirmStep>
  );
}

/** The edited text as a JSON object, or a sentence saying why it is not one. */
function parseObject(text: string): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : 'Payload must be a JSON object';
  } catch (error) {
    return `Payload is not valid JSON (${(error as Error).message})`;
  }
}
