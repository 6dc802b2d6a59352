import { useQuery } from '@tanstack/react-query';
import type { StuckReason } from '@shop/contracts';
import { formatDateTime, plural } from '../format';
import { DeadLetterLink, TimelineLink } from './console-links';
import { describeDuration } from './describe-figures';
import { isUnreachable, SERVICE_NAMES } from './operations-api';
import { CONSOLE_KEY, CONSOLE_POLL_MS, useConsole } from './operations-queries';

/** Orders pending longer than they should while the path is healthy, with why, as far as order-service can tell. */
export function StuckOrdersPanel() {
  const { api } = useConsole();
  const stuck = useQuery({ queryKey: [...CONSOLE_KEY, 'orders', 'stuck'], queryFn: api.stuckOrders, retry: false, refetchInterval: CONSOLE_POLL_MS });
  const view = stuck.data;

  return (
    <section aria-labelledby="stuck-orders-title" className="console-section">
      <h2 id="stuck-orders-title">Stuck orders</h2>
      {stuck.isPending && <p className="muted">Asking order-service…</p>}
      {stuck.error && (
        <p className="notice notice--error" role="alert">
          {isUnreachable(stuck.error) ? 'order-service does not answer: stuck orders are not shown.' : `order-service refused: ${stuck.error.message}`}
        </p>
      )}
      {view && (
        <>
          <p className="muted">
            {view.pathHealthy
              ? `An order is stuck once it has been pending for more than ${describeDuration(view.stuckAfterSeconds)} while the path is healthy.`
              : 'Inventory is offline or its queue is backed up: no order is called stuck, every pending one is merely late.'}
          </p>
          {view.unknown.map((line) => (
            <p key={line} className="notice notice--info">
              {line}
            </p>
          ))}
          {view.orders.length === 0 ? (
            <p>No stuck orders.</p>
          ) : (
            <ul className="console-list">
              {view.orders.map((order) => (
                <li key={order.orderId} className="console-card">
                  <p>
                    <TimelineLink orderId={order.orderId}>{`Order ${order.orderId.slice(0, 8)}: timeline`}</TimelineLink>{' '}
                    <span className="muted">
                      {order.status.toLowerCase()} for {describeDuration(order.ageSeconds)}, placed {formatDateTime(order.createdAt)}
                    </span>
                  </p>
                  <p className="console-card__reason">
                    <StuckReasonWords reason={order.reason} />
                  </p>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function StuckReasonWords({ reason }: { reason: StuckReason }) {
  switch (reason.kind) {
    case 'outbox-unpublished':
      return <>{`Its message is still in order-service's outbox after ${plural(reason.attempts, 'attempt')}${lastError(reason.lastError)}.`}</>;
    case 'outbox-parked':
      return (
        <>{`Its message was parked in order-service's outbox at ${formatDateTime(reason.parkedAt)}${lastError(reason.lastError)}; see Parked outbox rows.`}</>
      );
    case 'dead-letter':
      return (
        <>
          {`A message about it died in ${SERVICE_NAMES[reason.service]}: ${reason.reason}. `}
          <DeadLetterLink service={reason.service} id={reason.deadLetterId}>
            Open the dead letter
          </DeadLetterLink>
        </>
      );
    case 'unknown':
      return <>{`No cause found: ${reason.note}`}</>;
  }
}

const lastError = (error: string | null) => (error ? ` (last error: ${error})` : '');
