import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
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
