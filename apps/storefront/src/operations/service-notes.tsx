import { OPERATED_SERVICES, type OperatedService } from '@shop/contracts';
import { isUnreachable, SERVICE_NAMES } from './operations-api';
import { auditQuery, CONSOLE_POLL_MS, deadLetterGroupsQuery, parkedRowsQuery, usePerService } from './operations-queries';

/**
 * One line per service that does not answer, naming what the console cannot show of it; the other
 * services' rows show as usual. Reads the same queries as the panels (same keys: no extra requests).
 */
export function UnreachableServices() {
  const lists = [
    { what: 'dead letters', results: usePerService(deadLetterGroupsQuery) },
    { what: 'parked rows', results: usePerService(parkedRowsQuery) },
    { what: 'audit entries', results: usePerService(auditQuery) },
  ];
  const lines = OPERATED_SERVICES.flatMap((service, index) => {
    const missing = lists.filter((list) => isUnreachable(list.results[index].result.error)).map((list) => list.what);
    return missing.length === 0 ? [] : [`${SERVICE_NAMES[service]} does not answer: its ${joinWords(missing)} are not shown.`];
  });
  if (lines.length === 0) return null;
  return (
    <div className="notice notice--info" role="status">
      {lines.map((line) => (
        <p key={line}>{line}</p>
      ))}
      <p className="small">The rest is shown; asking again every {CONSOLE_POLL_MS / 1000} s.</p>
    </div>
  );
}

/** A service that answered but refused (a wrong token, a bug): its message, beside the panel it concerns. */
export function ServiceRefusal({ service, error }: { service: OperatedService; error: Error | null }) {
  if (!error || isUnreachable(error)) return null;
  return (
    <p className="notice notice--error" role="alert">
      {SERVICE_NAMES[service]} refused: {error.message}
    </p>
  );
}

function joinWords(words: string[]): string {
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
