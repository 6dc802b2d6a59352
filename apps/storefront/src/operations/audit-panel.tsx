import type { AuditEntryView } from '@shop/contracts';
import { formatDateTime } from '../format';
import { SERVICE_NAMES } from './operations-api';
import { AUDIT_LIMIT, auditQuery, usePerService } from './operations-queries';
import { ServiceRefusal } from './service-notes';

/** Who did what, newest first, across the services that answer. */
export function AuditPanel() {
  const audits = usePerService(auditQuery);
  const entries = latestEntries(audits.flatMap(({ result }) => result.data ?? []));

  return (
    <section aria-labelledby="audit-title" className="console-section">
      <h2 id="audit-title">Audit</h2>
      {audits.map(({ service, result }) => (
        <ServiceRefusal key={service} service={service} error={result.error} />
      ))}
      {entries.length === 0 ? (
        <p className="muted">No actions recorded.</p>
      ) : (
        <div className="console-table-wrap">
          <table className="console-table">
            <caption className="visually-hidden">The latest {AUDIT_LIMIT} actions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Service</th>
                <th scope="col">Operator</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={`${entry.service}/${entry.id}`}>
                  <td>
                    <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
                  </td>
                  <td>{SERVICE_NAMES[entry.service]}</td>
                  <td>{entry.operator}</td>
                  <td>{entry.action}</td>
                  <td>
                    <code>{entry.target}</code>
                  </td>
                  <td>{entry.outcome}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The latest AUDIT_LIMIT entries of all services together, newest first. */
export function latestEntries(entries: AuditEntryView[]): AuditEntryView[] {
  return [...entries].sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, AUDIT_LIMIT);
}
