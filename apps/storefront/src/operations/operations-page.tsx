import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { SystemStatusView } from '@shop/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/http';
import { queryKeys } from '../api/queries';
import { shopApi } from '../api/shop-api';
import { formatTime } from '../format';
import { TextField } from '../layout/text-field';
import { usePageTitle } from '../layout/use-page-title';
import { clearAdminToken, loadAdminToken, saveAdminToken } from './admin-token-storage';
import { describeBacklog, describeCount } from './describe-figures';
import { OperationsConsole } from './operations-console';
import { CONSOLE_KEY } from './operations-queries';
import './operations.css';

export const OPERATIONS_POLL_MS = 5_000;

const refusedWith = (error: Error | null, status: number) => error instanceof ApiError && error.status === status;

/**
 * The figures behind the shopper's one word and the operators' console, for operators holding the admin
 * token. Not linked from the shop's nav, and loaded apart from the shop (app.tsx imports it lazily).
 */
export function OperationsPage() {
  usePageTitle('Operations');
  const queryClient = useQueryClient();
  const [token, setToken] = useState<string | null>(loadAdminToken);
  const [draft, setDraft] = useState('');
  const [tokenRefused, setTokenRefused] = useState(false);

  const figures = useQuery({
    queryKey: queryKeys.operationsStatus,
    queryFn: () => shopApi.getOperationsStatus(token!),
    enabled: token !== null,
    retry: false,
    // A refused token or a view that is off will not change by asking again.
    refetchInterval: (query) => (refusedWith(query.state.error, 401) || refusedWith(query.state.error, 403) ? false : OPERATIONS_POLL_MS),
  });

  const unauthorized = refusedWith(figures.error, 401);
  useEffect(() => {
    if (!unauthorized) return;
    clearAdminToken();
    setToken(null);
    setTokenRefused(true);
    queryClient.removeQueries({ queryKey: queryKeys.operationsStatus });
    queryClient.removeQueries({ queryKey: CONSOLE_KEY });
  }, [unauthorized, queryClient]);

  const submitToken = (event: FormEvent) => {
    event.preventDefault();
    const entered = draft.trim();
    if (!entered) return;
    saveAdminToken(entered);
    // The figures of another token must not show under this one, even for a moment.
    queryClient.removeQueries({ queryKey: queryKeys.operationsStatus });
    queryClient.removeQueries({ queryKey: CONSOLE_KEY });
    setToken(entered);
    setDraft('');
    setTokenRefused(false);
  };

  const forgetToken = () => {
    clearAdminToken();
    setToken(null);
    queryClient.removeQueries({ queryKey: queryKeys.operationsStatus });
    queryClient.removeQueries({ queryKey: CONSOLE_KEY });
  };

  return (
    <div className="page operations-page">
      <h1 tabIndex={-1}>Operations</h1>
      <p className="muted">What stands between accepted orders and their confirmations, asked again every {OPERATIONS_POLL_MS / 1000} s.</p>

      {tokenRefused && (
        <div className="notice notice--error" role="alert">
          <p>The order service refused that token (401), so it was cleared. Enter the admin token again.</p>
        </div>
      )}

      {token === null ? (
        <form onSubmit={submitToken}>
          <TextField
            id="admin-token"
            label="Admin token"
            hint="The ADMIN_TOKEN the order service runs with. It is kept in this tab only."
            type="password"
            autoComplete="off"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
          />
          <button type="submit" className="button button--primary">
            Show the figures
          </button>
        </form>
      ) : (
        <>
          <OperationsFigures figures={figures.data} error={figures.error} />
          <button type="button" className="button" onClick={forgetToken}>
            Forget the token
          </button>
          {/* With ADMIN_TOKEN unset on order-service the operator view is off; its refusal says so once, above. */}
          {!refusedWith(figures.error, 403) && <OperationsConsole adminToken={token} />}
        </>
      )}
    </div>
  );
}

function OperationsFigures({ figures, error }: { figures: SystemStatusView | undefined; error: Error | null }) {
  if (refusedWith(error, 403)) {
    return (
      <div className="notice notice--neutral" role="alert">
        <p>The operator view is off: the order service has no ADMIN_TOKEN configured. Set ADMIN_TOKEN (the same secret as inventory&apos;s) and restart it.</p>
      </div>
    );
  }
  return (
    <section aria-labelledby="figures-title">
      <h2 id="figures-title">Figures</h2>
      {error && !refusedWith(error, 401) && (
        <p className="notice notice--error" role="alert">
          The order service did not answer ({error.message}); asking again every {OPERATIONS_POLL_MS / 1000} s.
        </p>
      )}
      {!figures && !error && <p className="muted">Asking the order service…</p>}
      {figures && (
        <dl className="operations-figures">
          <Figure label="Inventory" value={figures.inventory.online ? 'online' : 'offline'} />
          <Figure label="Inventory consumers" value={describeCount(figures.inventory.consumers)} />
          <Figure label="Orders waiting in inventory's queue" value={describeCount(figures.inventory.queueDepth)} />
          <Figure label="Outbox backlog" value={describeBacklog(figures.outbox)} />
          <Figure label="Broker" value={figures.broker.reachable ? 'reachable' : 'unreachable'} />
          <Figure label="Checked at" value={<time dateTime={figures.checkedAt}>{formatTime(figures.checkedAt)}</time>} />
        </dl>
      )}
    </section>
  );
}

function Figure({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}
