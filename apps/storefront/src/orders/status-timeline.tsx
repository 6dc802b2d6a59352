import type { OrderView } from '@shop/contracts';
import { formatTime } from '../format';

interface StatusTimelineProps {
  order: OrderView;
  /** The shop says confirmations run late (GET /api/system/status). */
  confirmationsDelayed: boolean;
  /** PENDING past the shop's stuck threshold while confirmations are prompt: a person must look. */
  needsAPerson?: boolean;
}

/** What a shopper whose order stopped moving is told, in one sentence, with nothing contradicting it. */
export const NEEDS_A_PERSON =
  'Something held this order up on our side, and a person will look at it. It will not be lost: we will confirm it, or email you; there is nothing you need to do.';

type StepState = 'done' | 'current' | 'failed';

interface Step {
  title: string;
  detail: string;
  state: StepState;
  at?: string;
}

const STATE_TEXT: Record<StepState, string> = { done: 'completed', current: 'in progress', failed: 'not completed' };

/** Placed → confirmed, or placed → rejected with the reason. */
export function StatusTimeline({ order, confirmationsDelayed, needsAPerson = false }: StatusTimelineProps) {
  const steps: Step[] = [
    { title: 'Order placed', detail: 'We have saved your order.', state: 'done', at: order.createdAt },
    secondStep(order, confirmationsDelayed, needsAPerson),
  ];

  return (
    <ol className="timeline" aria-label="Order progress">
      {steps.map((step) => (
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

function secondStep(order: OrderView, confirmationsDelayed: boolean, needsAPerson: boolean): Step {
  switch (order.status) {
    case 'CONFIRMED':
      return { title: 'Confirmed', detail: 'Your items are reserved for you.', state: 'done', at: order.updatedAt };
    case 'REJECTED':
      return { title: 'Not confirmed', detail: describeRejection(order), state: 'failed', at: order.updatedAt };
    case 'PENDING':
      return {
        title: 'Waiting for confirmation',
        detail: needsAPerson
          ? NEEDS_A_PERSON
          : confirmationsDelayed
            ? 'This is taking longer than usual right now. Your order is safe and will be confirmed automatically; there is nothing you need to do.'
            : 'Our inventory is reserving your items. This usually takes a few seconds.',
        state: 'current',
      };
  }
}

/** The server's reason names the sku; add the product's name so the shopper knows which item it was. */
export function describeRejection(order: OrderView): string {
  const reason = order.statusReason ?? 'Some items were not available.';
  const line = order.lines.find((candidate) => reason.includes(candidate.sku));
  return line && !reason.includes(line.name) ? `${reason} (${line.name}).` : reason;
}
