import { createContext, useContext } from 'react';
import { useQueries, type UseQueryResult } from '@tanstack/react-query';
import { OPERATED_SERVICES, type OperatedService } from '@shop/contracts';
import type { OperationsApi } from './operations-api';

/** How often the console's lists are asked again. */
export const CONSOLE_POLL_MS = 10_000;
export const AUDIT_LIMIT = 50;

/** Every console query sits under this key, so a new token or an action clears or refreshes them all at once. */
export const CONSOLE_KEY = ['operations-console'] as const;

export interface ConsoleContextValue {
  api: OperationsApi;
  /** The name sent as X-Operator; null until the operator gives it (the first confirmation asks). */
  operator: string | null;
  rememberOperator: (name: string) => void;
}

export const ConsoleContext = createContext<ConsoleContextValue | null>(null);

export function useConsole(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error('useConsole is used outside the operators console');
  return value;
}

// Lists are asked of each service on its own: one that does not answer hides only its own rows.
const listQuery = <T>(name: string, service: OperatedService, queryFn: () => Promise<T>) => ({
  queryKey: [...CONSOLE_KEY, service, name],
  queryFn,
  retry: false,
  refetchInterval: CONSOLE_POLL_MS,
});

export const deadLetterGroupsQuery = (api: OperationsApi, service: OperatedService) =>
  listQuery('dead-letter-groups', service, () => api.deadLetterGroups(service));
export const parkedRowsQuery = (api: OperationsApi, service: OperatedService) => listQuery('parked-rows', service, () => api.parkedRows(service));
export const auditQuery = (api: OperationsApi, service: OperatedService) => listQuery('audit', service, () => api.audit(service, AUDIT_LIMIT));

/** One query per operated service, in OPERATED_SERVICES order, each paired with its service. */
export function usePerService<T>(
  query: (api: OperationsApi, service: OperatedService) => ReturnType<typeof listQuery<T>>,
): { service: OperatedService; result: UseQueryResult<T, Error> }[] {
  const { api } = useConsole();
  const results = useQueries({ queries: OPERATED_SERVICES.map((service) => query(api, service)) });
  return OPERATED_SERVICES.map((service, index) => ({ service, result: results[index] }));
}
