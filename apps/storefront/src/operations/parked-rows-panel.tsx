import { useId, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { discardRequestSchema, type ParkedRowView } from '@shop/contracts';
import { TextField } from '../layout/text-field';
import { ConfirmStep } from './confirm-step';
import { TimelineLink } from './console-links';
import { describeAge } from './describe-figures';
import { isUnreachable, SERVICE_NAMES } from './operations-api';
import { CONSOLE_KEY, parkedRowsQuery, useConsole, usePerService } from './operations-queries';
import { ServiceRefusal } from './service-notes';

/** Outbox rows set aside after failing too often: retry them (back to the relay) or discard them with a reason. */
export function ParkedRowsPanel() {
  const parked = usePerService(parkedRowsQuery);
  const rows = parked.flatMap(({ result }) => result.data ?? []);
  const asking = parked.filter(({ result }) => result.isPending).map(({ service }) => SERVICE_NAMES[service]);

  return (
    <section aria-labelledby="parked-rows-title" className="console-section">
      <h2 id="parked-rows-title">Parked outbox rows</h2>
      {parked.map(({ service, result }) => (
        <ServiceRefusal key={service} service={service} error={result.error} />
      ))}
      {asking.length > 0 && <p className="muted">Asking {asking.join(', ')}…</p>}
      {rows.length === 0 && asking.length === 0 && !parked.every(({ result }) => isUnreachable(result.error)) && <p className="muted">No parked rows.</p>}
      {rows.length > 0 && (
        <ul className="console-list">
          {rows.map((row) => (
            <ParkedRow key={`${row.service}/${row.id}`} row={row} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ParkedRow({ row }: { row: ParkedRowView }) {
  const { api } = useConsole();
  const queryClient = useQueryClient();
  const id = useId();
  const [open, setOpen] = useState<'retry' | 'discard' | null>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | undefined>();
  const action = useMutation({
    mutationFn: ({ kind, operator }: { kind: 'retry' | 'discard'; operator: string }) =>
      kind === 'retry' ? api.retryParked(row.service, row.id, operator) : api.discardParked(row.service, row.id, reason.trim(), operator),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: CONSOLE_KEY }),
  });
  const cancel = () => {
    setOpen(null);
    action.reset();
  };
  const discard = (operator: string) => {
    const parsed = discardRequestSchema.safeParse({ reason });
    if (!parsed.success) return setReasonError(`Reason ${parsed.error.issues[0].message}`);
    action.mutate({ kind: 'discard', operator });
  };

  return (
    <li className="console-card">
      <p>
        <strong>{SERVICE_NAMES[row.service]}</strong>: <code>{row.routingKey}</code> on <code>{row.exchange}</code>, {row.attempts} attempts, parked{' '}
        <time dateTime={row.parkedAt}>{describeAge(row.parkedAt)}</time>
        {row.orderId && (
          <>
            {' '}
            (<TimelineLink orderId={row.orderId}>{`order ${row.orderId.slice(0, 8)}`}</TimelineLink>)
          </>
        )}
      </p>
      <p className="console-card__reason">{row.lastError ?? 'No error recorded.'}</p>
      {action.isSuccess ? (
        <p role="status">{action.variables.kind === 'retry' ? 'Handed back to the relay.' : 'Discarded.'}</p>
      ) : open === null ? (
        <div className="console-card__actions">
          <button type="button" className="button" onClick={() => setOpen('retry')}>
            Retry…
          </button>
          <button type="button" className="button" onClick={() => setOpen('discard')}>
            Discard…
          </button>
        </div>
      ) : open === 'retry' ? (
        <ConfirmStep
          headingLevel={3}
          title="Retry this row?"
          confirmLabel="Retry"
          onConfirm={(operator) => action.mutate({ kind: 'retry', operator })}
          onCancel={cancel}
          pending={action.isPending}
          error={action.error}
        >
          <p>The relay publishes it again with its next batch.</p>
        </ConfirmStep>
      ) : (
        <ConfirmStep
          headingLevel={3}
          title="Discard this row?"
          confirmLabel="Discard"
          onConfirm={discard}
          onCancel={cancel}
          pending={action.isPending}
          error={action.error}
        >
          <p>Its message will never be published. The reason goes into the audit.</p>
          <TextField id={`${id}-reason`} label="Reason" value={reason} error={reasonError} onChange={(event) => setReason(event.target.value)} />
        </ConfirmStep>
      )}
    </li>
  );
}
