import { Inject, Injectable } from '@nestjs/common';
import { OPERATIONS_PREFIX, type DeadLetterView, type OperatedService, type ServiceTraceView } from '@shop/contracts';

/** Where the other services' operations answer, the admin token they take, and how long to wait for them. */
export interface PeerOperationsOptions {
  urls: Partial<Record<OperatedService, string>>;
  adminToken: string | undefined;
  timeoutMs: number;
}

export const PEER_OPERATIONS_OPTIONS = Symbol('PEER_OPERATIONS_OPTIONS');

const SERVICE_NAMES: Record<OperatedService, string> = {
  orders: 'order-service',
  inventory: 'inventory-service',
  notifications: 'notification-service',
  payments: 'payment-service',
};

/** A peer that did not answer: what it cannot see is said, never guessed. */
export class PeerUnavailableError extends Error {
  override name = 'PeerUnavailableError';
}

/**
 * The other services' operators' routes, as order-service asks them for an order's stuck reason and
 * timeline (each service keeps its own dead letters and tables). Every call has a deadline.
 */
@Injectable()
export class PeerOperationsClient {
  constructor(@Inject(PEER_OPERATIONS_OPTIONS) private readonly options: PeerOperationsOptions) {}

  deadLettersOf(service: OperatedService, orderId: string): Promise<DeadLetterView[]> {
    return this.get(service, `/dead-letters?status=open&orderId=${encodeURIComponent(orderId)}`);
  }

  traceOf(service: OperatedService, orderId: string): Promise<ServiceTraceView> {
    return this.get(service, `/orders/${encodeURIComponent(orderId)}/trace`);
  }

  private async get<T>(service: OperatedService, path: string): Promise<T> {
    const base = this.options.urls[service];
    if (!base) throw new PeerUnavailableError(`${SERVICE_NAMES[service]}: no URL configured`);
    let response: Response;
    try {
      response = await fetch(`${base.replace(/\/+$/, '')}${OPERATIONS_PREFIX[service]}${path}`, {
        headers: { authorization: `Bearer ${this.options.adminToken ?? ''}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new PeerUnavailableError(`${SERVICE_NAMES[service]} does not answer (${(err as Error).message})`);
    }
    if (!response.ok) throw new PeerUnavailableError(`${SERVICE_NAMES[service]} answered ${response.status}`);
    return (await response.json()) as T;
  }
}
