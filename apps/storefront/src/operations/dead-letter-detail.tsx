import { useEffect, useId, useRef, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { DeadLetterView, OperatedService, ReplayOutcome } from '@shop/contracts';
import { formatDateTime } from '../format';
import { DeadLetterLink, TimelineLink, useConsoleParams } from './console-links';
import { DeadLetterActions } from './dead-letter-actions';
import { isUnreachable, SERVICE_NAMES } from './operations-api';
import { CONSOLE_KEY, useConsole } from './operations-queries';

/** How often a replay still pending is asked about: it is published and handled within seconds. */
export const REPLAY_FOLLOW_MS = 2_000;

const OUTCOMES: Record<ReplayOutcome, string> = {
  pending: 'waiting to be published and handled',
  applied: 'applied by the consumer',
  duplicate: 'dropped by the inbox: it had been applied already',
  'failed-again': 'failed again',
};

/** One dead letter: what it carried, why it died, what became of it; the actions while it is open. */
export function DeadLetterDetail({ service, id }: { service: OperatedService; id: string }) {
  const { api } = useConsole();
  const { closeDeadLetter } = useConsoleParams();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const deadLetter = useQuery({
    queryKey: [...CONSOLE_KEY, service, 'dead-letter', id],
    queryFn: () => api.deadLetter(service, id),
    retry: false,
    // A replay is followed to its outcome: asked again until it is applied, dropped as a duplicate or failed again.
    refetchInterval: (query) => (query.state.data?.replay?.outcome === 'pending' ? REPLAY_FOLLOW_MS : false),
  });

  return (
    <article className="console-detail" aria-labelledby="dead-letter-title">
      <h3 id="dead-letter-title" tabIndex={-1} ref={heading}>
        Dead letter {id.slice(0, 8)} in {SERVICE_NAMES[service]}
      </h3>
      {deadLetter.isPending && <p className="muted">Asking {SERVICE_NAMES[service]}…</p>}
      {deadLetter.error && (
        <p className="notice notice--error" role="alert">
          {isUnreachable(deadLetter.error) ? `${SERVICE_NAMES[service]} does not answer: this dead letter cannot be shown.` : deadLetter.error.message}
        </p>
      )}
      {deadLetter.data && <DeadLetterFacts deadLetter={deadLetter.data} />}
      {deadLetter.data && <DeadLetterActions deadLetter={deadLetter.data} />}
      <button type="button" className="button button--quiet" onClick={closeDeadLetter}>
        Close the dead letter
      </button>
    </article>
  );
}

function DeadLetterFacts({ deadLetter }: { deadLetter: DeadLetterView }) {
  return (
    <>
      <dl className="operations-figures">
        <Fact label="Status">
          {deadLetter.status}
          {deadLetter.resolvedAt && ` at ${formatDateTime(deadLetter.resolvedAt)}`}
          {deadLetter.resolvedBy && ` by ${deadLetter.resolvedBy}`}
        </Fact>
        {deadLetter.replay && (
          <Fact label="Replay outcome">
            {OUTCOMES[deadLetter.replay.outcome]}
            {deadLetter.replay.failedAgainAs && (
              <>
                {' '}
                as{' '}
                <DeadLetterLink
                  service={deadLetter.service}
                  id={deadLetter.replay.failedAgainAs}
                >{`dead letter ${deadLetter.replay.failedAgainAs.slice(0, 8)}`}</DeadLetterLink>
              </>
            )}
          </Fact>
        )}
        <Fact label="Reason">{deadLetter.reason}</Fact>
        <Fact label="Error class">{deadLetter.errorClass}</Fact>
        <Fact label="Last error">{deadLetter.lastError ?? 'none recorded'}</Fact>
        <Fact label="Attempts">{deadLetter.attempts}</Fact>
        <Fact label="Replay count">{deadLetter.replayCount}</Fact>
        <Fact label="Queue">
          <code>{deadLetter.queue}</code>
        </Fact>
        <Fact label="Routing key">
          <code>{deadLetter.routingKey}</code>
        </Fact>
        <Fact label="Message">
          {deadLetter.messageType ?? 'untyped'} <code>{deadLetter.messageId}</code>
        </Fact>
        <Fact label="Failed">
          first <time dateTime={deadLetter.firstFailedAt}>{formatDateTime(deadLetter.firstFailedAt)}</time>, last{' '}
          <time dateTime={deadLetter.lastFailedAt}>{formatDateTime(deadLetter.lastFailedAt)}</time>
        </Fact>
        <Fact label="Order">
          {deadLetter.orderId ? <TimelineLink orderId={deadLetter.orderId}>{`${deadLetter.orderId} (timeline)`}</TimelineLink> : 'names none'}
        </Fact>
      </dl>
      <CodeBlock title="Payload">{deadLetter.payload === null ? deadLetter.body : JSON.stringify(deadLetter.payload, null, 2)}</CodeBlock>
      <CodeBlock title="Headers">{JSON.stringify(deadLetter.headers, null, 2)}</CodeBlock>
    </>
  );
}

/** A scrolling block of JSON: a named region that takes focus, so a keyboard can scroll it. */
function CodeBlock({ title, children }: { title: string; children: string }) {
  const id = useId();
  return (
    <>
      <h4 id={id}>{title}</h4>
      <pre className="console-code" role="region" aria-labelledby={id} tabIndex={0}>
        {children}
      </pre>
    </>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
