import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { OrderTimelineView } from '@shop/contracts';
import { formatDateTime, formatTime } from '../format';
import { TextField } from '../layout/text-field';
import { useConsoleParams } from './console-links';
import { describeDuration } from './describe-figures';
import { isUnreachable, SERVICE_NAMES } from './operations-api';
import { CONSOLE_KEY, useConsole } from './operations-queries';

/** An order's journey through the services, hop by hop, with the time each hop took. */
export function TimelinePanel() {
  const { timelineOrderId, showTimeline } = useConsoleParams();
  const [draft, setDraft] = useState('');
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  // A link (from a stuck order, a dead letter) opened it: take the operator there.
  useEffect(() => {
    if (timelineOrderId) heading.current?.focus();
  }, [timelineOrderId]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (draft.trim()) showTimeline(draft.trim());
  };

  return (
    <section aria-labelledby="timeline-title" className="console-section" id="timeline">
      <h2 id="timeline-title" tabIndex={-1} ref={heading}>
        Timeline
      </h2>
      <form className="lookup-form" onSubmit={submit}>
        <TextField id={`${id}-order`} label="Order id" value={draft} autoComplete="off" spellCheck={false} onChange={(event) => setDraft(event.target.value)} />
        <button type="submit" className="button">
          Show the timeline
        </button>
      </form>
      {timelineOrderId && <OrderTimeline orderId={timelineOrderId} />}
    </section>
  );
}

function OrderTimeline({ orderId }: { orderId: string }) {
  const { api } = useConsole();
  const timeline = useQuery({ queryKey: [...CONSOLE_KEY, 'orders', 'timeline', orderId], queryFn: () => api.timeline(orderId), retry: false });

  if (timeline.isPending) return <p className="muted">Asking order-service for order {orderId}…</p>;
  if (timeline.error) {
    return (
      <p className="notice notice--error" role="alert">
        {isUnreachable(timeline.error) ? 'order-service does not answer: no timeline can be shown.' : timeline.error.message}
      </p>
    );
  }
  const view = timeline.data;
  return (
    <div>
      <h3>
        Order <code>{view.orderId}</code>: {view.status.toLowerCase()}
      </h3>
      {/* Keyed by the id: another order's trace starts without the last one's "Copied." */}
      <OrderTrace key={view.traceId} traceId={view.traceId} traceUrl={view.traceUrl} />
      {view.unknown.map((line) => (
        <p key={line} className="notice notice--info">
          {line}
        </p>
      ))}
      {view.entries.length === 0 ? (
        <p className="muted">No hops recorded.</p>
      ) : (
        <ol className="console-timeline">
          {view.entries.map((entry, index) => (
            <li key={`${index}-${entry.at}-${entry.step}`}>
              <span className="console-timeline__since">
                {entry.sincePreviousSeconds === null ? 'start' : `+${describeDuration(entry.sincePreviousSeconds)}`}
              </span>{' '}
              <strong>{entry.step}</strong> in {SERVICE_NAMES[entry.service]} at{' '}
              <time dateTime={entry.at} title={formatDateTime(entry.at)}>
                {formatTime(entry.at)}
              </time>
              <span className="console-timeline__detail">{entry.detail}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/**
 * The order's trace id (from its order.placed outbox row), to copy into a tracing backend or a log
 * search (`trace_id`), and the link to the trace when order-service has TRACE_URL_TEMPLATE.
 */
function OrderTrace({ traceId, traceUrl }: Pick<OrderTimelineView, 'traceId' | 'traceUrl'>) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  if (!traceId) return <p className="muted">No trace id known for this order (its order.placed outbox row is gone).</p>;

  const copy = () => {
    navigator.clipboard.writeText(traceId).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  };
  // The clipboard API exists only in a secure context (https, localhost): elsewhere one click on the id selects it.
  return (
    <p className="console-trace">
      Trace <code className="console-trace__id">{traceId}</code>
      {navigator.clipboard && (
        <button type="button" className="button button--quiet" onClick={copy} aria-label="Copy the trace id">
          Copy
        </button>
      )}
      {traceUrl && (
        <a href={traceUrl} target="_blank" rel="noreferrer">
          Open the trace <span className="visually-hidden">(opens in a new tab)</span>
        </a>
      )}
      <span role="status" className="console-trace__copied">
        {copied === 'yes' ? 'Copied.' : copied === 'failed' ? 'Could not copy: select the id instead.' : ''}
      </span>
    </p>
  );
}
