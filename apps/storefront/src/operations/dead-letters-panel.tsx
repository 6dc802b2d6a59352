import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { DeadLetterGroupView, GroupReplayResult, OperatedService } from '@shop/contracts';
import { formatDateTime, plural } from '../format';
import { ConfirmStep } from './confirm-step';
import { DeadLetterLink, useConsoleParams } from './console-links';
import { DeadLetterDetail } from './dead-letter-detail';
import { describeAge } from './describe-figures';
import { isUnreachable, SERVICE_NAMES } from './operations-api';
import { CONSOLE_KEY, deadLetterGroupsQuery, useConsole, usePerService } from './operations-queries';
import { ServiceRefusal } from './service-notes';

/** The open dead letters of every service, grouped by cause (fingerprint); one message's detail below. */
export function DeadLettersPanel() {
  const groupsByService = usePerService(deadLetterGroupsQuery);
  const { deadLetter } = useConsoleParams();
  // Kept here, not in the group: a replayed group leaves the list while its replay goes on.
  const [started, setStarted] = useState<{ service: OperatedService; result: GroupReplayResult } | null>(null);

  return (
    <section aria-labelledby="dead-letters-title" className="console-section">
      <h2 id="dead-letters-title">Dead letters</h2>
      {groupsByService.map(({ service, result }) => (
        <div key={service}>
          <h3>{SERVICE_NAMES[service]}</h3>
          <ServiceRefusal service={service} error={result.error} />
          {started?.service === service && <GroupReplayStarted result={started.result} />}
          {isUnreachable(result.error) && <p className="muted">Not shown: {SERVICE_NAMES[service]} does not answer.</p>}
          {result.isPending && <p className="muted">Asking {SERVICE_NAMES[service]}…</p>}
          {result.data?.length === 0 && <p className="muted">No open dead letters.</p>}
          {result.data && result.data.length > 0 && (
            <ul className="console-list">
              {result.data.map((group) => (
                <DeadLetterGroup key={group.fingerprint} service={service} group={group} onStarted={(result) => setStarted({ service, result })} />
              ))}
            </ul>
          )}
        </div>
      ))}
      {deadLetter && <DeadLetterDetail key={`${deadLetter.service}/${deadLetter.id}`} service={deadLetter.service} id={deadLetter.id} />}
    </section>
  );
}

interface DeadLetterGroupProps {
  service: OperatedService;
  group: DeadLetterGroupView;
  onStarted: (result: GroupReplayResult) => void;
}

function DeadLetterGroup({ service, group, onStarted }: DeadLetterGroupProps) {
  const [expanded, setExpanded] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const { api } = useConsole();
  const queryClient = useQueryClient();
  const replay = useMutation({
    mutationFn: (operator: string) => api.replayGroup(service, group.fingerprint, operator),
    onSuccess: (result) => {
      setConfirming(false);
      onStarted(result);
      void queryClient.invalidateQueries({ queryKey: CONSOLE_KEY });
    },
  });
  const messages = plural(group.count, 'dead letter');

  return (
    <li className="console-card">
      <p>
        <strong>{messages}</strong> from <code>{group.queue}</code>: <strong>{group.errorClass}</strong>
      </p>
      <p className="console-card__reason">{group.reason}</p>
      <p className="small muted">
        First failed <time dateTime={group.firstFailedAt}>{describeAge(group.firstFailedAt)}</time>, last{' '}
        <time dateTime={group.lastFailedAt}>{describeAge(group.lastFailedAt)}</time>
      </p>
      <div className="console-card__actions">
        <button type="button" className="button" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
          {expanded ? 'Hide the messages' : `Show the ${messages}`}
        </button>
        <button type="button" className="button" onClick={() => setConfirming(true)}>
          Replay the group…
        </button>
      </div>
      {confirming && (
        <ConfirmStep
          title={`Replay ${messages}?`}
          confirmLabel={`Replay ${messages}`}
          onConfirm={(operator) => replay.mutate(operator)}
          onCancel={() => setConfirming(false)}
          pending={replay.isPending}
          error={replay.error}
        >
          <p>
            {SERVICE_NAMES[service]} sends the group&apos;s {messages} back to <code>{group.queue}</code>, paced, and stops if too many fail again.
          </p>
        </ConfirmStep>
      )}
      {expanded && <GroupMessages service={service} fingerprint={group.fingerprint} />}
    </li>
  );
}

function GroupReplayStarted({ result }: { result: GroupReplayResult }) {
  return (
    <p className="notice notice--neutral" role="status">
      Replay {result.replayId} started for {plural(result.selected, 'dead letter')}; follow it in the audit.
    </p>
  );
}

function GroupMessages({ service, fingerprint }: { service: OperatedService; fingerprint: string }) {
  const { api } = useConsole();
  const messages = useQuery({
    queryKey: [...CONSOLE_KEY, service, 'dead-letters', fingerprint],
    queryFn: () => api.deadLetters(service, { status: 'open', fingerprint }),
    retry: false,
  });
  if (messages.isPending) return <p className="muted">Asking {SERVICE_NAMES[service]}…</p>;
  if (messages.error) return <ServiceRefusal service={service} error={messages.error} />;
  return (
    <ul className="console-sublist">
      {messages.data.map((message) => (
        <li key={message.id}>
          <DeadLetterLink service={service} id={message.id}>
            {message.messageType ?? message.routingKey} {message.id.slice(0, 8)}
          </DeadLetterLink>{' '}
          <span className="small muted">
            failed at <time dateTime={message.lastFailedAt}>{formatDateTime(message.lastFailedAt)}</time>
            {message.orderId && `, order ${message.orderId.slice(0, 8)}`}
          </span>
        </li>
      ))}
    </ul>
  );
}
