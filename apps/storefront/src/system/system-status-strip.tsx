import { useSystemStatus } from '../api/queries';
import { describeSystemStatus } from './describe-system-status';

/** A slim strip under the header that says, in plain words, what the state of the system means for an order. */
export function SystemStatusStrip() {
  const { data, isError } = useSystemStatus();
  const summary = describeSystemStatus(data, isError);

  return (
    <section className={`status-strip status-strip--${summary.tone}`} aria-label="Shop status">
      <div className="status-strip__inner">
        <div className="status-strip__message">
          <span className="status-strip__dot" aria-hidden="true" />
          {/* role=status announces a change of headline (inventory going offline or back) without moving focus. */}
          <p role="status">{summary.headline}</p>
        </div>
        {summary.facts.length > 0 && (
          <dl className="status-strip__facts">
            {summary.facts.map((fact) => (
              <div key={fact.label} className="status-strip__fact">
                <dt>{fact.label}</dt>
                <dd>{fact.value}</dd>
              </div>
            ))}
          </dl>
        )}
      </div>
    </section>
  );
}
