import { useEffect, useRef } from 'react';
import type { PlacedIssue } from './checkout-issues';

/**
 * Lists every problem at the top of the form and takes focus when it appears, so a screen reader reads
 * the problems at once and a keyboard user can jump from each one to its field. The parent remounts it
 * (a new `key`) for each failed attempt; fixing one field then does not steal focus back.
 */
export function ErrorSummary({ issues }: { issues: PlacedIssue[] }) {
  const summary = useRef<HTMLDivElement>(null);
  useEffect(() => summary.current?.focus(), []);

  if (issues.length === 0) return null;
  return (
    <div ref={summary} className="error-summary" tabIndex={-1} aria-labelledby="error-summary-title">
      <h2 id="error-summary-title" className="error-summary__title">
        {issues.length === 1 ? 'There is a problem' : `There are ${issues.length} problems`}
      </h2>
      <ul>
        {issues.map((issue) => (
          <li key={`${issue.field}:${issue.text}`}>
            {issue.targetId ? (
              <a href={`#${issue.targetId}`} onClick={(event) => focusTarget(event, issue.targetId)}>
                {issue.text}
              </a>
            ) : (
              issue.text
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Focus the field itself rather than following the hash, which would only scroll to it. */
function focusTarget(event: React.MouseEvent, targetId: string | undefined) {
  const target = targetId ? document.getElementById(targetId) : null;
  if (!target) return;
  event.preventDefault();
  target.focus();
  target.scrollIntoView({ block: 'center' });
}
