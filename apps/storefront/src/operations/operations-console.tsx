import { useMemo, useState } from 'react';
import { AuditPanel } from './audit-panel';
import { loadOperatorName, saveOperatorName } from './admin-token-storage';
import { DeadLettersPanel } from './dead-letters-panel';
import { operationsApi } from './operations-api';
import { ConsoleContext } from './operations-queries';
import { ParkedRowsPanel } from './parked-rows-panel';
import { SectionBoundary } from './section-boundary';
import { UnreachableServices } from './service-notes';
import { StuckOrdersPanel } from './stuck-orders-panel';
import { TimelinePanel } from './timeline-panel';

/**
 * What an operator acts on, service by service: each is asked on its own, so one that is down hides
 * only its own part, and the console says which.
 */
export function OperationsConsole({ adminToken }: { adminToken: string }) {
  const [operator, setOperator] = useState<string | null>(loadOperatorName);
  const value = useMemo(
    () => ({
      api: operationsApi(adminToken),
      operator,
      rememberOperator: (name: string) => {
        saveOperatorName(name);
        setOperator(name);
      },
    }),
    [adminToken, operator],
  );

  return (
    <ConsoleContext value={value}>
      {operator && <p className="muted">Acting as {operator} (sent with every action).</p>}
      <UnreachableServices />
      <SectionBoundary title="Stuck orders">
        <StuckOrdersPanel />
      </SectionBoundary>
      <SectionBoundary title="Dead letters">
        <DeadLettersPanel />
      </SectionBoundary>
      <SectionBoundary title="Parked outbox rows">
        <ParkedRowsPanel />
      </SectionBoundary>
      <SectionBoundary title="Audit">
        <AuditPanel />
      </SectionBoundary>
      <SectionBoundary title="Timeline">
        <TimelinePanel />
      </SectionBoundary>
    </ConsoleContext>
  );
}
