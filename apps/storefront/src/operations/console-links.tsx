import type { ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { OPERATED_SERVICES, type OperatedService } from '@shop/contracts';

// What the console has open lives in the URL (?service=&deadLetter=, ?timeline=), so a link can open it and a reload keeps it.
type ConsoleParam = 'service' | 'deadLetter' | 'timeline';

function withChanges(params: URLSearchParams, changes: Partial<Record<ConsoleParam, string | null>>): string {
  const next = new URLSearchParams(params);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined) next.delete(name);
    else next.set(name, value);
  }
  return `?${next.toString()}`;
}

const isOperatedService = (value: string | null): value is OperatedService => OPERATED_SERVICES.some((service) => service === value);

export function useConsoleParams() {
  const [params, setParams] = useSearchParams();
  const service = params.get('service');
  const deadLetterId = params.get('deadLetter');
  return {
    deadLetter: isOperatedService(service) && deadLetterId ? { service, id: deadLetterId } : null,
    timelineOrderId: params.get('timeline'),
    closeDeadLetter: () => setParams(withChanges(params, { service: null, deadLetter: null })),
    showTimeline: (orderId: string) => setParams(withChanges(params, { timeline: orderId })),
  };
}

/** Opens an order's timeline in the Timeline section. */
export function TimelineLink({ orderId, children }: { orderId: string; children: ReactNode }) {
  const [params] = useSearchParams();
  return <Link to={{ search: withChanges(params, { timeline: orderId }) }}>{children}</Link>;
}

/** Opens one dead letter's detail in the Dead letters section. */
export function DeadLetterLink({ service, id, children }: { service: OperatedService; id: string; children: ReactNode }) {
  const [params] = useSearchParams();
  return <Link to={{ search: withChanges(params, { service, deadLetter: id }) }}>{children}</Link>;
}
