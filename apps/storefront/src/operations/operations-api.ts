import {
  OPERATIONS_PREFIX,
  OPERATOR_HEADER,
  type AuditEntryView,
  type DeadLetterActionResult,
  type DeadLetterGroupView,
  type DeadLetterStatus,
  type DeadLetterView,
  type EditRequest,
  type GroupReplayResult,
  type OperatedService,
  type OrderTimelineView,
  type ParkedRowView,
  type StuckOrdersView,
} from '@shop/contracts';
import { ApiError, requestJson } from '../api/http';

/** How the console names each service to an operator. */
export const SERVICE_NAMES: Record<OperatedService, string> = {
  orders: 'order-service',
  inventory: 'inventory-service',
  notifications: 'notification-service',
  payments: 'payment-service',
};

/** A service that does not answer (down, or the front door saying so) rather than one that refused the request. */
export function isUnreachable(error: Error | null): boolean {
  if (error instanceof ApiError) return error.status === 502 || error.status === 503 || error.status === 504;
  return error instanceof TypeError;
}

export interface DeadLetterQuery {
  status?: DeadLetterStatus;
  fingerprint?: string;
  orderId?: string;
  limit?: number;
}

/**
 * Every request of the operators' console, through the shop's front door (nginx or the Vite proxy): the
 * admin token as a bearer credential, the operator's name on each action. No broker credential is ever
 * needed here: each service reads and republishes its own dead letters.
 */
export function operationsApi(adminToken: string) {
  const authorization = `Bearer ${adminToken}`;
  const get = <T>(path: string) => requestJson<T>(path, { headers: { authorization } });
  const act = <T>(path: string, operator: string, body: unknown) =>
    requestJson<T>(path, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json', [OPERATOR_HEADER]: operator },
      body: JSON.stringify(body),
    });
  const deadLetters = (service: OperatedService) => `${OPERATIONS_PREFIX[service]}/dead-letters`;
  const parked = (service: OperatedService, id: string) => `${OPERATIONS_PREFIX[service]}/outbox/parked/${encodeURIComponent(id)}`;

  return {
    deadLetterGroups: (service: OperatedService) => get<DeadLetterGroupView[]>(`${deadLetters(service)}/groups`),

    deadLetters: (service: OperatedService, query: DeadLetterQuery) => {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
      return get<DeadLetterView[]>(`${deadLetters(service)}?${params.toString()}`);
    },

    deadLetter: (service: OperatedService, id: string) => get<DeadLetterView>(`${deadLetters(service)}/${encodeURIComponent(id)}`),

    replay: (service: OperatedService, id: string, operator: string) =>
      act<DeadLetterActionResult>(`${deadLetters(service)}/${encodeURIComponent(id)}/replay`, operator, {}),

    /** The group's open dead letters, paced by the service (its default rate and failure limit). */
    replayGroup: (service: OperatedService, fingerprint: string, operator: string) =>
      act<GroupReplayResult>(`${deadLetters(service)}/replay`, operator, { fingerprint }),

    discard: (service: OperatedService, id: string, reason: string, operator: string) =>
      act<DeadLetterActionResult>(`${deadLetters(service)}/${encodeURIComponent(id)}/discard`, operator, { reason }),

    edit: (service: OperatedService, id: string, request: EditRequest, operator: string) =>
      act<DeadLetterActionResult>(`${deadLetters(service)}/${encodeURIComponent(id)}/edit`, operator, request),

    audit: (service: OperatedService, limit: number) => get<AuditEntryView[]>(`${OPERATIONS_PREFIX[service]}/audit?limit=${limit}`),

    parkedRows: (service: OperatedService) => get<ParkedRowView[]>(`${OPERATIONS_PREFIX[service]}/outbox/parked`),

    retryParked: (service: OperatedService, id: string, operator: string) => statusOnly(act(`${parked(service, id)}/retry`, operator, {})),

    discardParked: (service: OperatedService, id: string, reason: string, operator: string) =>
      statusOnly(act(`${parked(service, id)}/discard`, operator, { reason })),

    stuckOrders: () => get<StuckOrdersView>(`${OPERATIONS_PREFIX.orders}/stuck`),

    timeline: (orderId: string) => get<OrderTimelineView>(`${OPERATIONS_PREFIX.orders}/${encodeURIComponent(orderId)}/timeline`),
  };
}

/** The contract names no answer for the parked rows' actions: only the status counts, and an empty 2xx body is fine. */
async function statusOnly(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    // requestJson parses only a 2xx body; a SyntaxError means the action succeeded with nothing to read.
    if (!(error instanceof SyntaxError)) throw error;
  }
}

export type OperationsApi = ReturnType<typeof operationsApi>;
