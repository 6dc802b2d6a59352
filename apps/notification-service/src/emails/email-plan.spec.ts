import type { OrderEmailKind } from '@shop/contracts';
import { emailPlan, type EmailPlan } from './email-plan';

/** A plan in a few words: `send received confirmed`, `duplicate`, `superseded by cancelled`, `contradiction with rejected`. */
const described = (plan: EmailPlan): string =>
  plan.action === 'send'
    ? `send ${plan.kinds.join(' ')}`
    : plan.action === 'superseded'
      ? `superseded by ${plan.by}`
      : plan.action === 'contradiction'
        ? `contradiction with ${plan.with}`
        : plan.action;

const KINDS: OrderEmailKind[] = ['received', 'confirmed', 'rejected', 'cancelled'];
/** Every set of kinds an order may have had, in the table's order (by the bits of 0..15). */
const HANDLED = Array.from({ length: 16 }, (_, bits) => KINDS.filter((_, i) => bits & (1 << i)));

// Every combination: the emails the order already had (sent or refused for good) × the event's email.
const TABLE: Record<OrderEmailKind, string[]> = {
  received: [
    /* (none) */ 'send received',
    /* received */ 'duplicate',
    /* confirmed */ 'superseded by confirmed',
    /* received confirmed */ 'duplicate',
    /* rejected */ 'superseded by rejected',
    /* received rejected */ 'duplicate',
    /* confirmed rejected */ 'superseded by confirmed',
    /* received confirmed rejected */ 'duplicate',
    /* cancelled */ 'superseded by cancelled',
    /* received cancelled */ 'duplicate',
    /* confirmed cancelled */ 'superseded by cancelled',
    /* received confirmed cancelled */ 'duplicate',
    /* rejected cancelled */ 'superseded by cancelled',
    /* received rejected cancelled */ 'duplicate',
    /* confirmed rejected cancelled */ 'superseded by cancelled',
    /* received confirmed rejected cancelled */ 'duplicate',
  ],
  confirmed: [
    /* (none) */ 'send received confirmed',
    /* received */ 'send confirmed',
    /* confirmed */ 'duplicate',
    /* received confirmed */ 'duplicate',
    /* rejected */ 'contradiction with rejected',
    /* received rejected */ 'contradiction with rejected',
    /* confirmed rejected */ 'duplicate',
    /* received confirmed rejected */ 'duplicate',
    /* cancelled */ 'superseded by cancelled',
    /* received cancelled */ 'superseded by cancelled',
    /* confirmed cancelled */ 'duplicate',
    /* received confirmed cancelled */ 'duplicate',
    /* rejected cancelled */ 'contradiction with rejected',
    /* received rejected cancelled */ 'contradiction with rejected',
    /* confirmed rejected cancelled */ 'duplicate',
    /* received confirmed rejected cancelled */ 'duplicate',
  ],
  rejected: [
    /* (none) */ 'send received rejected',
    /* received */ 'send rejected',
    /* confirmed */ 'contradiction with confirmed',
    /* received confirmed */ 'contradiction with confirmed',
    /* rejected */ 'duplicate',
    /* received rejected */ 'duplicate',
    /* confirmed rejected */ 'duplicate',
    /* received confirmed rejected */ 'duplicate',
    /* cancelled */ 'superseded by cancelled',
    /* received cancelled */ 'superseded by cancelled',
    /* confirmed cancelled */ 'contradiction with confirmed',
    /* received confirmed cancelled */ 'contradiction with confirmed',
    /* rejected cancelled */ 'duplicate',
    /* received rejected cancelled */ 'duplicate',
    /* confirmed rejected cancelled */ 'duplicate',
    /* received confirmed rejected cancelled */ 'duplicate',
  ],
  cancelled: [
    /* (none) */ 'send received cancelled',
    /* received */ 'send cancelled',
    // A decision that went out without its receipt (before this ordering existed): a receipt now would arrive after it.
    /* confirmed */ 'send cancelled',
    /* received confirmed */ 'send cancelled',
    /* rejected */ 'send cancelled',
    /* received rejected */ 'send cancelled',
    /* confirmed rejected */ 'send cancelled',
    /* received confirmed rejected */ 'send cancelled',
    /* cancelled */ 'duplicate',
    /* received cancelled */ 'duplicate',
    /* confirmed cancelled */ 'duplicate',
    /* received confirmed cancelled */ 'duplicate',
    /* rejected cancelled */ 'duplicate',
    /* received rejected cancelled */ 'duplicate',
    /* confirmed rejected cancelled */ 'duplicate',
    /* received confirmed rejected cancelled */ 'duplicate',
  ],
};

describe('emailPlan: which emails an event sends, given those its order already had', () => {
  it.each(KINDS.flatMap((kind) => HANDLED.map((handled, i) => [handled.join(' ') || '(none)', kind, TABLE[kind][i]] as const)))(
    'had %s, event’s email %s: %s',
    (handled, kind, expected) => {
      expect(described(emailPlan(handled === '(none)' ? [] : (handled.split(' ') as OrderEmailKind[]), kind))).toBe(expected);
    },
  );

  it('never sends an email of a rank below one already sent, nor confirmed and rejected both, nor one kind twice', () => {
    const rank = { received: 1, confirmed: 2, rejected: 2, cancelled: 3 };
    for (const handled of HANDLED) {
      for (const kind of KINDS) {
        const plan = emailPlan(handled, kind);
        if (plan.action !== 'send') continue;
        const highest = Math.max(0, ...handled.map((other) => rank[other]));
        const all = [...handled, ...plan.kinds];
        expect([handled, kind, plan.kinds.every((sent) => rank[sent] >= highest)]).toEqual([handled, kind, true]);
        expect([handled, kind, new Set(all).size === all.length]).toEqual([handled, kind, true]);
        // A contradiction already present is not made worse: a new send never adds the second decision.
        if (!(handled.includes('confirmed') && handled.includes('rejected')))
          expect([handled, kind, all.includes('confirmed') && all.includes('rejected')]).toEqual([handled, kind, false]);
        // The plan itself is in order: the receipt first.
        expect([handled, kind, plan.kinds]).toEqual([handled, kind, [...plan.kinds].sort((a, b) => rank[a] - rank[b])]);
      }
    }
  });
});
