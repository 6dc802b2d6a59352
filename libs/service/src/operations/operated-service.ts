import { OPERATIONS_PREFIX, type OperatedService, type Service } from '@shop/contracts';

const OPERATED: Record<Service, OperatedService> = {
  'order-service': 'orders',
  'inventory-service': 'inventory',
  'notification-service': 'notifications',
  'payment-service': 'payments',
};

/** The name a service's operations go by, and the path they are served under. */
export function operatedService(service: Service): { name: OperatedService; prefix: string } {
  const name = OPERATED[service];
  // Nest's routes have no leading slash.
  return { name, prefix: OPERATIONS_PREFIX[name].replace(/^\//, '') };
}
