import type { OrderView } from '@shop/contracts';
import { formatTime } from '../format';
import { orderSteps, type StepState } from './order-progress';

export { NEEDS_A_PERSON } from './order-progress';

interface StatusTimelineProps {
  order: OrderView;
  /** The shop says confirmations run late (GET /api/system/status). */
  confirmationsDelayed: boolean;
  /** PENDING or RESERVED past the shop's stuck threshold while confirmations are prompt: a person must look. */
  needsAPerson?: boolean;
}

const STATE_TEXT: Record<StepState, string> = { done: 'completed', current: 'in progress', failed: 'not completed', upcoming: 'not started yet' };

/** The order's steps, each with its state spelled out for screen readers (the marker alone is decoration). */
export function StatusTimeline({ order, confirmationsDelayed, needsAPerson = false }: StatusTimelineProps) {
  return (
    <ol className="timeline" aria-label="Order progress">
      {orderSteps(order, { confirmationsDelayed, needsAPerson }).map((step) => (
        <li key={step.title} className={`timeline__step timeline__step--${step.state}`} aria-current={step.state === 'current' ? 'step' : undefined}>
          <span className="timeline__marker" aria-hidden="true" />
          <div>
            <p className="timeline__title">
              {step.title}
              <span className="visually-hidden"> ({STATE_TEXT[step.state]})</span>
              {step.at && <time dateTime={step.at}>{formatTime(step.at)}</time>}
            </p>
            <p className="timeline__detail">{step.detail}</p>
          </div>
        </li>
      ))}
    </ol>
  );
}
