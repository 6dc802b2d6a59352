export * from './inbox.service';
export * from './migrations/1732500000000-create-outbox-and-inbox';
export * from './outbox.module';
export * from './outbox.options';
export * from './outbox.relay';
export { pooledConnection, storedEvents, type OutboxBacklog } from './outbox.repository';
export * from './outbox.service';
export * from './pg-listener';
