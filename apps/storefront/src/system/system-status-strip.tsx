import { useSystemStatus } from '../api/queries';
import { describeSystemStatus } from './describe-system-status';

/** A slim strip under the header that speaks only when confirmations run late or the shop cannot be reached. */
export function SystemStatusStrip() {
  const { data, isError } = useSystemStatus();
  const { tone, sentence } = describeSystemStatus(data, isError);

  // The live region stays mounted while empty, so a sentence that appears later is announced.
  return (
    <div role="status" aria-label="Shop status" className={sentence ? `status-strip status-strip--${tone}` : undefined}>
      {sentence && (
        <div className="status-strip__inner">
          <p className="status-strip__message">
            <span className="status-strip__dot" aria-hidden="true" />
            {sentence}
          </p>
        </div>
      )}
    </div>
  );
}
